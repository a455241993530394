"""The rollout wait, the diagnosis and the address read the API server's JSON through
:class:`~hyscale_tasks.cluster.reads.Live`, in the typed client's attribute names: a name that
maps wrong reads as None, which would make a wait miss a ready pod or a diagnosis a crash."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hyscale_tasks.cluster.pods import containers, event_last, setting_up
from hyscale_tasks.cluster.reads import Live
from hyscale_tasks.cluster.wait import rolled_out

POD = {
    "metadata": {"name": "web-1", "labels": {"pod-template-hash": "abc"},
                 "deletionTimestamp": None},
    "spec": {"nodeName": "vm", "containers": [
        {"name": "web", "image": "r/web:1", "resources": {"limits": {"memory": "64Mi"}}}]},
    "status": {"phase": "Running", "hostIP": "192.0.2.2", "podIPs": [{"ip": "10.0.0.5"}],
               "containerStatuses": [{
                   "name": "web", "image": "r/web:1", "ready": False, "restartCount": 4,
                   "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}},
                   "lastState": {"terminated": {"reason": "Error", "exitCode": 3,
                                                "message": "boom"}}}]},
}


def test_container_states_read_from_json() -> None:
    [state] = containers(Live(POD))
    assert (state.name, state.restarts, state.waiting, state.last_terminated,
            state.last_exit_code, state.last_message, state.memory_limit) == \
        ("web", 4, "CrashLoopBackOff", "Error", 3, "boom", "64Mi")
    assert not setting_up(Live(POD))


def test_acronym_fields_maps_and_missing_fields() -> None:
    pod = Live(POD)
    assert pod.status.host_ip == "192.0.2.2"
    assert pod.status.pod_i_ps[0].ip == "10.0.0.5"
    assert pod.metadata.labels.get("pod-template-hash") == "abc"
    assert pod.spec.containers[0].resources.limits["memory"] == "64Mi"
    assert pod.status.init_container_statuses is None
    assert pod.metadata.deletion_timestamp is None


def test_event_times_are_datetimes() -> None:
    event = Live({"reason": "Failed", "count": 2, "firstTimestamp": "2026-12-07T01:00:00Z",
                  "lastTimestamp": "2026-12-07T01:00:05Z", "eventTime": None, "series": None})
    assert event_last(event) == datetime(2026, 12, 7, 1, 0, 5, tzinfo=UTC)
    scheduled = Live({"reason": "FailedScheduling", "eventTime": "2026-12-07T01:00:00.123456Z",
                      "series": {"count": 3, "lastObservedTime": "2026-12-07T01:00:09.5Z"}})
    assert event_last(scheduled) == datetime(2026, 12, 7, 1, 0, 9, 500000, tzinfo=UTC)


def _deployment(**status: int) -> Live:
    return Live({"kind": "Deployment", "metadata": {"generation": 2},
                 "spec": {"replicas": 2}, "status": {"observedGeneration": 2, **status}})


def test_a_deployment_is_rolled_out_only_with_every_replica_updated_and_available() -> None:
    assert rolled_out(_deployment(replicas=2, updatedReplicas=2, readyReplicas=2,
                                  availableReplicas=2))
    assert not rolled_out(_deployment(replicas=3, updatedReplicas=2, readyReplicas=3,
                                      availableReplicas=3))  # an old pod still counted
    assert not rolled_out(_deployment(replicas=2, updatedReplicas=1, readyReplicas=2,
                                      availableReplicas=2))


def test_a_stateful_set_is_rolled_out_on_its_update_revision() -> None:
    stateful: dict[str, Any] = {"kind": "StatefulSet", "metadata": {"generation": 1},
                "spec": {"replicas": 1}, "status": {"observedGeneration": 1, "replicas": 1,
                                                    "readyReplicas": 1}}
    assert rolled_out(Live({**stateful, "status": {**stateful["status"],
                                                   "currentRevision": "a", "updateRevision": "a"}}))
    assert not rolled_out(Live({**stateful, "status": {**stateful["status"],
                                                       "currentRevision": "a",
                                                       "updateRevision": "b"}}))
