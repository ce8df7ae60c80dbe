#!/bin/sh
# ApplicationStart: the SSM parameters under SSM_PATH become the container's env file
# (/app/db/password -> DB_PASSWORD=...), readable by root only; then the container starts.
set -eu
. "$(dirname "$0")/common.sh"
umask 077
mkdir -p "$(dirname "$ENV_FILE")"
aws ssm get-parameters-by-path --path "$SSM_PATH" --recursive --with-decryption \
  --query 'Parameters[].[Name,Value]' --output text |
  awk -F '\t' -v prefix="$SSM_PATH/" '{
    key = substr($1, length(prefix) + 1); gsub(/[^A-Za-z0-9]/, "_", key)
    print toupper(key) "=" $2
  }' >"$ENV_FILE"
echo "APP_ENV=$APP_ENV" >>"$ENV_FILE"
echo "env file: $(cut -d= -f1 "$ENV_FILE" | tr '\n' ' ')"
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker run -d --name "$NAME" --network host --restart unless-stopped --env-file "$ENV_FILE" \
  -e "LISTEN=$HOST:$PORT" "$IMAGE" >/dev/null
echo "started $NAME from $IMAGE on $HOST:$PORT"
