"""The dev loop: ``hyscale dev`` and ``doit dev``. Save a file, and the service in the cluster is
updated, its logs in front of you, a local port forwarded to it.

The loop owns no stage of its own: each turn is an ordinary doit run of ``deploy:<svc>`` on the
app's state (a later ``doit deploy`` is a no-op), in a process of its own. Who owns what:

* :mod:`.inputs`: what to watch, derived from the task graph (every task's ``file_dep``), the
  spec folders and the user Dockerfiles' build contexts (``.dockerignore`` honoured);
* :mod:`.turns`: one turn, a doit subprocess read through the JSON-lines reporter, its stage
  lines and outcome;
* :mod:`.loop`: watching (watchfiles), queueing (one turn at a time), then logs and forwards;
* :mod:`.doit_run`: the dodo-less doit the ``hyscale`` front end runs its turns with;
* :mod:`.command`: the ``doit dev`` command (a doit COMMAND plugin).

The logs and the port forward live in ``cluster/`` (the only package that imports kubernetes):
:mod:`hyscale_tasks.cluster.follow` and :mod:`hyscale_tasks.cluster.forward`.
"""
