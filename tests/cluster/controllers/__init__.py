"""The stand-in's controllers (what kube-controller-manager and kube-scheduler do), run by
:class:`.manager.ControllerManager` in one background thread."""
