# The frontend's metrics sidecar: the "metrics" agent of frontend.hspec runs this script (its
# command comes from snippets/metrics-sidecar.yaml; the script is a file prop of the agent,
# mounted under its propsVolumePath). It serves /metrics on $SCRAPE_PORT in Prometheus' text
# format, computed at each scrape by metrics.cgi.

# The container's PID 1 gets no default signal handling: without this trap it would ignore the
# kubelet's SIGTERM, and every rollout or undeploy would wait the 30 s grace period for it.
trap 'exit 0' TERM INT

# busybox httpd runs cgi-bin/index.cgi for a folder without an index.html, so /metrics/ (and
# /metrics, which it redirects there) is answered by the CGI script. A mounted prop file is not
# executable: copy it.
mkdir -p /tmp/www/metrics /tmp/www/cgi-bin
cp /etc/metrics/metrics.cgi /tmp/www/cgi-bin/index.cgi
chmod 755 /tmp/www/cgi-bin/index.cgi
echo "metrics of $SCRAPE_TARGET at :$SCRAPE_PORT/metrics"
httpd -f -p "$SCRAPE_PORT" -h /tmp/www &
wait
