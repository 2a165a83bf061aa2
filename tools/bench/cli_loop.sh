#!/usr/bin/env bash
# `make bench`: what users do today with the AWS CLI, one process per node.
# Usage: cli_loop.sh ENDPOINT_URL ID... (credentials and region from the environment)
set -euo pipefail
url=$1
shift
for id in "$@"; do
  aws ssm deregister-managed-instance --instance-id "$id" --endpoint-url "$url" >/dev/null
done
