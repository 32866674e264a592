#!/bin/sh
# Fulcrum: is this side's HAProxy running? keepalived gives the VIP up when it is not.
pid=$(cat /run/fulcrum/lb/haproxy.pid 2>/dev/null) || exit 1
case "$pid" in ""|*[!0-9]*) exit 1 ;; esac
[ -r /proc/$pid/stat ] || exit 1
read -r _ _ state _ < /proc/$pid/stat || exit 1
[ "$state" != Z ]
