#!/bin/sh
# The deploy tests' prebuilt image. It serves HTTP on 8080 (/ answers "testapp <pod>") and TCP on
# 6379 (an echo), TESTAPP_HTTP_PORT and TESTAPP_TCP_PORT say other ports (a sidecar's), and its
# environment (a service's props) makes it fail in the ways a real service fails:
#   TESTAPP_LOG      printed first (printf %b: \n makes lines)
#   TESTAPP_EXIT     exit with this code after the log (a crash loop)
#   TESTAPP_HEALTHY  "no": / answers 404, so an HTTP health check fails
trap 'exit 0' TERM INT
[ -n "${TESTAPP_LOG:-}" ] && printf '%b' "$TESTAPP_LOG"
[ -n "${TESTAPP_EXIT:-}" ] && exit "$TESTAPP_EXIT"
mkdir -p /www
[ "${TESTAPP_HEALTHY:-yes}" = no ] || echo "testapp $(hostname)" > /www/index.html
httpd -f -p "${TESTAPP_HTTP_PORT:-8080}" -h /www &
nc -ll -p "${TESTAPP_TCP_PORT:-6379}" -e cat &
echo "testapp listening on ${TESTAPP_HTTP_PORT:-8080} and ${TESTAPP_TCP_PORT:-6379}"
wait
