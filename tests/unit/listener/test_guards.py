"""What gates a step (enough healthy targets) and when a bake ends: pure logic, a fake clock."""

from __future__ import annotations

import io

from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import Poll
from deploy_actions.listener.guards import AnswerCheck, Bake, Health, requirement


def test_by_default_every_registered_target_must_be_healthy_and_at_least_one() -> None:
    assert Health(2, 2, 0).enough(None)
    assert not Health(1, 2, 0).enough(None)
    assert not Health(0, 0, 0).enough(None)  # an empty target group takes no traffic
    assert Health(1, 3, 1).enough(1) and not Health(1, 3, 1).enough(2)
    assert requirement(None) == "every registered target healthy (at least one)"
    assert requirement(2) == "at least 2 healthy targets"


def test_health_describes_the_targets_that_are_not_healthy() -> None:
    health = Health(1, 2, 0, ("127.0.0.1:8080 unhealthy (Target.ResponseCodeMismatch)",))
    assert health.describe() == "1 of 2 targets healthy; 127.0.0.1:8080 unhealthy (Target.ResponseCodeMismatch)"


def test_a_bake_without_alarms_ends_when_its_time_is_up() -> None:
    now = [100.0]
    bake = Bake(cw=None, alarms=[], seconds=30.0, label="10%", reporter=Reporter(io.StringIO()),
                clock=lambda: now[0])
    assert not bake.check().done
    assert bake.check().max_interval == 30.0  # never sleeps past the end
    now[0] += 29.0
    assert not bake.check().done
    now[0] += 1.0
    assert bake.check().done
    assert bake.interval == 6.0 and Bake(None, [], 600, "x", Reporter(io.StringIO())).interval == 10.0


def test_the_test_url_must_answer_below_500() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    status = [503]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(status[0])
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        check = AnswerCheck(f"http://127.0.0.1:{server.server_address[1]}/health", Reporter(io.StringIO()))
        assert not check.check().done and check.last == "HTTP 503"
        status[0] = 404  # answered: the destination serves, whatever the path says
        assert check.check() == Poll.finished(404)
    finally:
        server.shutdown()
        server.server_close()
    assert not check.check().done  # nothing listens any more
