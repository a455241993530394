#!/bin/sh
# One scrape: does the frontend answer? The sidecar shares the frontend's pod, so
# $SCRAPE_TARGET is on localhost.
if timeout 5 wget -q -O /dev/null "$SCRAPE_TARGET"; then up=1; else up=0; fi
printf 'Content-Type: text/plain; version=0.0.4\r\n\r\n'
echo "# HELP shop_frontend_up Whether the frontend answered the last scrape (1) or not (0)."
echo "# TYPE shop_frontend_up gauge"
echo "shop_frontend_up $up"
