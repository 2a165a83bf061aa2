#!/usr/bin/env bash
# `make bench`: what users do today with the AWS CLI, one process per node.
# Usage: cli_loop.sh [--keep-going] ENDPOINT_URL ID... (credentials and region from the environment)
# --keep-going: a node whose call fails (e.g. throttled after the CLI's own retries) does not stop the loop.
set -euo pipefail
keep_going=false
if [ "${1:-}" = --keep-going ]; then
  keep_going=true
  shift
fi
url=$1
shift
for id in "$@"; do
  if ! aws ssm deregister-managed-instance --instance-id "$id" --endpoint-url "$url" >/dev/null; then
    $keep_going || exit 1
  fi
done
