"""The dev loop on the real cluster, driven as a user drives it: a subprocess, files saved on disk.

Each test reads what the loop prints (stderr: one line per stage that ran, with its reason, and
``ready in N.N s after the save``; stdout: the pods' logs, ``<pod>/<container> | ...``), asks
the forwarded port, and counts the tool's requests in the API server's audit log.
"""

from __future__ import annotations

import time

from testing.audit import applies, writes
from testing.cluster import Cluster
from testing.deploy_app import current_pods
from testing.dev import StartDev, get
from testing.testimage import crash

# Serves the GREETING prop on / and says so in its log; stops at once on SIGTERM.
GREETER = ("sh,-c,mkdir -p /www; echo \"$GREETING\" > /www/index.html; echo serving $GREETING; "
           "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait")


def test_a_prop_change_rolls_the_pods_and_the_forward_serves_the_new_value(
        new_app, dev: StartDev, cluster: Cluster) -> None:
    app = new_app("devprop")
    app.web(props={"GREETING": "hello"}, startCommand=GREETER)
    loop = dev(app)
    first = loop.ready("web")
    assert loop.stages("web", 0, first) == ["spec", "manifests", "deploy"] or \
        "deploy" in loop.stages("web", 0, first), loop.text()
    url = loop.url("web")
    assert get(url).strip() == "hello"
    loop.wait_for(r"^web-[a-z0-9-]+/web \| serving hello$", stream="out")
    pods_before = current_pods(cluster.api_client(), app.namespace, "web")
    mark = len(cluster.audit())

    app.edit_spec("web", props={"GREETING": "bonjour"})
    done = loop.ready("web", first + 1)

    # One line per stage that ran, each with its reason: no build, no push.
    assert loop.stages("web", first + 1, done) == ["spec", "manifests", "deploy"], loop.text()
    assert any("prop GREETING changed" in line for line in loop.err[first + 1:done]), loop.text()
    # Ready means rolled out: the very next request through the forward gets the new pod.
    assert get(url).strip() == "bonjour"
    loop.wait_for(r"^web-[a-z0-9-]+/web \| serving bonjour$", stream="out")
    since = cluster.audit()[mark:]
    assert ("configmaps", 200) in applies(since), applies(since)
    assert current_pods(cluster.api_client(), app.namespace, "web") != pods_before

    # Ctrl-C: exit 0, the service keeps running, and the loop's state is doit's.
    assert loop.stop() == 0, loop.text()
    assert any("keep running" in line for line in loop.err), loop.text()
    assert not loop.leftovers(), loop.leftovers()
    live = cluster.apps().read_namespaced_deployment("web", app.namespace)
    assert live.status.ready_replicas == 1
    assert app.deploy("web").executed == []


def test_an_artifact_change_builds_pushes_and_rolls_that_service_only(
        new_app, dev: StartDev, cluster: Cluster) -> None:
    app = new_app("devart", built=True)
    app.web("web", built=True)
    app.web("api")
    loop = dev(app, doit=True)  # the doit front end: doit app=<app> dev
    web_ready, api_ready = loop.ready("web"), loop.ready("api")
    start = max(web_ready, api_ready) + 1
    url = loop.url("web")
    assert "web of" in get(url)
    api_pods = current_pods(cluster.api_client(), app.namespace, "api")
    mark = len(cluster.audit())

    (app.folder / "web-site" / "index.html").write_text("<h1>version two</h1>\n")
    done = loop.ready("web", start)

    # The manifests stage has nothing new to render (the deploy pins the pushed digest itself).
    assert loop.stages("web", start, done) == ["dockerfile", "build", "push", "deploy"], loop.text()
    assert loop.stages("api", start, done) == [], loop.text()
    assert get(url).strip() == "<h1>version two</h1>"
    since = cluster.audit()[mark:]
    changed = writes(since)
    touched = {write.rsplit("/", 1)[-1] for write in changed}
    assert changed and not any(name == "api" or name.endswith("-api") for name in touched), changed
    assert [a for a in applies(since) if a[0] == "deployments"] == [("deployments", 200)], since
    assert current_pods(cluster.api_client(), app.namespace, "api") == api_pods
    assert loop.stop() == 0, loop.text()


def test_an_invalid_spec_is_reported_nothing_applied_and_its_fix_deployed(
        new_app, dev: StartDev, cluster: Cluster) -> None:
    app = new_app("devbad")
    app.web(props={"GREETING": "hello"})
    loop = dev(app, "--undeploy-on-exit")
    first = loop.ready("web")
    mark = len(cluster.audit())

    spec = app.folder / "web.hspec"
    spec.write_text(spec.read_text() + "replica: 2\n")
    error, _ = loop.wait_for(r"^\[ERROR\]  .*web\.hspec.*replica", first + 1)
    loop.wait_for(r"^\[ERROR\]  web: not deployed, the spec stage failed", error)
    assert "did you mean 'replicas'" in loop.text()
    assert writes(cluster.audit()[mark:]) == []
    assert loop.process.poll() is None  # still watching

    app.edit_spec("web", replica=None, replicas=2)
    done = loop.ready("web", error)
    assert loop.stages("web", error, done) == ["spec", "manifests", "deploy"], loop.text()
    assert len(current_pods(cluster.api_client(), app.namespace, "web")) == 2

    # --undeploy-on-exit: Ctrl-C removes the service.
    assert loop.stop() == 0, loop.text()
    assert cluster.apps().list_namespaced_deployment(app.namespace).items == []


def test_a_crashing_change_prints_the_diagnosis_and_the_loop_keeps_watching(
        new_app, dev: StartDev, cluster: Cluster) -> None:
    app = new_app("devcrash")
    app.web(props={"GREETING": "hello"})
    loop = dev(app)
    first = loop.ready("web")

    app.edit_spec("web", props=crash(3, "boom: the config is wrong\\n"))
    failed, _ = loop.wait_for(r"^\[ERROR\]  web: not deployed, the deploy stage failed", first + 1)
    said = "\n".join(loop.err[first + 1:failed])
    assert "Service startup commands failed with exit code 3" in said, loop.text()
    assert "boom: the config is wrong" in said, loop.text()
    assert loop.process.poll() is None

    app.edit_spec("web", props={"GREETING": "fixed"})
    loop.ready("web", failed)
    assert loop.stop() == 0, loop.text()
    # Logs are those of the deployed revision: the failed one's pods were never followed.
    assert not any("boom" in line for line in loop.out), loop.text()


def test_ctrl_c_during_a_deploy_stops_everything_and_leaves_the_state_consistent(
        new_app, dev: StartDev, cluster: Cluster) -> None:
    app = new_app("devstop")
    app.web(health=True)  # the kubelet's first probe comes ~30 s after the start: time to stop
    loop = dev(app)
    loop.wait_for(r"^\[INFO\]  Waiting for 1 replica\(s\) of web to be ready")

    assert loop.stop() == 0, loop.text()
    assert not loop.leftovers(), loop.leftovers()
    assert any("Stopped watching. web keep running" in line for line in loop.err), loop.text()
    assert "Traceback" not in loop.text()
    # What finished is recorded; the interrupted deploy runs again, then nothing does.
    assert app.deploy("web").executed == ["deploy:web"]
    assert app.deploy("web").executed == []


def test_saves_during_a_turn_queue_exactly_one_more_turn(
        new_app, dev: StartDev, cluster: Cluster) -> None:
    app = new_app("devqueue")
    app.web(props={"GREETING": "one"}, startCommand=GREETER)
    loop = dev(app)
    first = loop.ready("web")
    url = loop.url("web")

    app.edit_spec("web", props={"GREETING": "two"})
    waiting, _ = loop.wait_for(r"^\[INFO\]  Waiting for 1 replica\(s\) of web", first + 1)
    # Two saves while that deploy waits for its pod (it takes its pod's start, over a second).
    app.edit_spec("web", props={"GREETING": "three"})
    app.edit_spec("web", props={"GREETING": "four"})
    saved_at = len(loop.err)
    second = loop.ready("web", waiting)
    assert second >= saved_at, f"the turn ended before the saves:\n{loop.text()}"
    third = loop.ready("web", second + 1)

    # One more turn, started once the first was done (never two deploys of web at once), for
    # what the saves left on disk.
    assert loop.stages("web", waiting, second) == [], loop.text()
    assert loop.stages("web", second + 1, third) == ["spec", "manifests", "deploy"], loop.text()
    assert get(url).strip() == "four"
    time.sleep(3)  # (ample for a turn to start, were one queued: its first stage line)
    assert loop.stages("web", third + 1) == [], loop.text()
    assert loop.stop() == 0, loop.text()
    assert not loop.leftovers(), loop.leftovers()
