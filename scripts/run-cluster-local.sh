#!/usr/bin/env bash
# A three-node Earshot cluster on this machine, without Docker:
#   embedded Postgres and Redis (the ones the test suite uses), then three nodes joined over Hazelcast on loopback:
#   api+scheduler (HTTP on :8080), cpu (probes on :8081) and gpu (probes on :8082), sharing one data directory.
# Usage: scripts/run-cluster-local.sh [start]   start it (the default), and print how to use and stop it
#        scripts/run-cluster-local.sh stop      stop the nodes and the services
# Settings: EARSHOT_LOCAL_CLUSTER_DIR (default target/local-cluster), EARSHOT_MODELS_DIR (default ./models),
# EARSHOT_DEFAULT_MODEL (default base). Without that model, the GPU node gets the test suite's synthetic model
# (its text is noise) so that the cluster still runs end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${EARSHOT_LOCAL_CLUSTER_DIR:-target/local-cluster}"
PIDS="$DIR/pids"

stop_cluster() {
  if [ -f "$PIDS" ]; then
    # nodes first (SIGTERM: they hand their leases back), then the services
    tac "$PIDS" | while read -r pid name; do
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
        echo "stopped $name ($pid)"
      fi
    done
    rm -f "$PIDS"
  fi
}

if [ "${1:-start}" = "stop" ]; then
  stop_cluster
  exit 0
fi

source scripts/jdk.sh
if [ -f "$PIDS" ]; then
  echo "a local cluster seems to run already ($PIDS); stop it with: $0 stop" >&2
  exit 1
fi
mkdir -p "$DIR/logs" "$DIR/data"
DIR="$(cd "$DIR" && pwd)"
PIDS="$DIR/pids"

echo "building (jar, test classes for the embedded services)..."
"$EARSHOT_MVN" -B -q package -DskipTests
"$EARSHOT_MVN" -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$DIR/classpath.txt" >/dev/null
TEST_CP="target/test-classes:target/classes:$(cat "$DIR/classpath.txt")"

MODELS_DIR="${EARSHOT_MODELS_DIR:-$PWD/models}"
MODEL="${EARSHOT_DEFAULT_MODEL:-base}"
SYNTHETIC=()
if [ ! -f "$MODELS_DIR/ggml-$MODEL.bin" ]; then
  echo "no $MODELS_DIR/ggml-$MODEL.bin: the GPU node gets the synthetic test model (text will be noise);"
  echo "  for real text run scripts/download-model.sh $MODEL first"
  MODELS_DIR="$DIR/models"
  MODEL=tiny
  SYNTHETIC=("$MODELS_DIR/ggml-tiny.bin")
  # random weights fail whisper.cpp's quality checks, and its default fallbacks then decode many times over
  export WHISPER_BEST_OF=1 WHISPER_TEMPERATURE=0 WHISPER_TEMPERATURE_INC=0.4 WHISPER_THREADS=1
fi

rm -f "$DIR/services.env"
"$JAVA_HOME/bin/java" -cp "$TEST_CP" earshot.testsupport.LocalServices "$DIR/services.env" "${SYNTHETIC[@]}" \
  < /dev/null > "$DIR/logs/services.log" 2>&1 &
echo "$! services" >> "$PIDS"
for _ in $(seq 1 300); do [ -f "$DIR/services.env" ] && break; sleep 0.2; done
[ -f "$DIR/services.env" ] || { echo "Postgres/Redis did not start: see $DIR/logs/services.log" >&2; stop_cluster; exit 1; }
set -a; source "$DIR/services.env"; set +a

export EARSHOT_CLUSTER=true EARSHOT_CLUSTER_NAME="earshot-local" EARSHOT_CLUSTER_HOST=127.0.0.1
export EARSHOT_CLUSTER_MEMBERS=127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703 EARSHOT_EVENTBUS_HOST=127.0.0.1
export EARSHOT_DATA_DIR="$DIR/data" EARSHOT_MODELS_DIR="$MODELS_DIR" EARSHOT_DEFAULT_MODEL="$MODEL"
export EARSHOT_ALLOWED_ROOTS="${EARSHOT_ALLOWED_ROOTS:-$PWD}"

start_node() { # name roles hazelcast-port eventbus-port http-port
  EARSHOT_ROLES="$2" EARSHOT_CLUSTER_PORT="$3" EARSHOT_EVENTBUS_PORT="$4" EARSHOT_HTTP_PORT="$5" \
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar target/earshot.jar \
    > "$DIR/logs/$1.log" 2>&1 < /dev/null &
  echo "$! $1" >> "$PIDS"
}
start_node api-scheduler api,scheduler 5701 5801 8080
start_node cpu cpu 5702 5802 8081
start_node gpu gpu 5703 5803 8082

for port in 8080 8081 8082; do
  ready=""
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.5
  done
  if [ -z "$ready" ]; then
    echo "the node on :$port is not ready; its log is in $DIR/logs/ ($(curl -sS "http://127.0.0.1:$port/ready" 2>&1 | head -c 300))" >&2
    stop_cluster
    exit 1
  fi
done

cat <<MSG

Earshot cluster '$EARSHOT_CLUSTER_NAME' is up: api+scheduler on http://127.0.0.1:8080, cpu (:8081) and gpu (:8082).
  store   $JOBS_DB_URL
  redis   $REDIS_URL
  logs    $DIR/logs/

Submit a job (a file under $EARSHOT_ALLOWED_ROOTS, or upload one):
  curl -s -X POST http://127.0.0.1:8080/api/v1/audio/jobs/upload -F file=@your.wav
  curl -s http://127.0.0.1:8080/api/v1/audio/jobs/1
  curl -s 'http://127.0.0.1:8080/api/v1/audio/jobs/1/result?format=text'
See each node's roles:  curl -s http://127.0.0.1:8082/ready
Stop it:                $0 stop
MSG
