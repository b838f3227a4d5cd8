# syntax=docker/dockerfile:1
# Earshot, CPU image: one node, every setting from the environment (README, Configuration).
#   docker build -t earshot .
#   docker run -p 8080:8080 -v earshot-models:/models -v earshot-data:/data -e EARSHOT_API_KEY=... earshot
# The GPU image is Dockerfile.gpu. Both build the jar the same way, in the first stage here.

ARG MAVEN_IMAGE=maven:3.9-eclipse-temurin-25
ARG JRE_IMAGE=eclipse-temurin:25-jre-noble

# ---- build: Maven on JDK 25 makes target/earshot.jar (the shaded jar with whisper-jni's and jave's natives) ----
FROM ${MAVEN_IMAGE} AS build
WORKDIR /src
COPY pom.xml ./
COPY conf ./conf
COPY src/main ./src/main
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package

# ---- runtime: a JRE 25 with libgomp1 (OpenMP, which whisper.cpp's CPU build links) and curl for the health check ----
FROM ${JRE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin earshot \
 && mkdir -p /app /data /models \
 && chown earshot:earshot /data /models
COPY --from=build /src/target/earshot.jar /app/earshot.jar

# Where a node keeps its state and looks for models; everything else keeps its default until set (README).
# EARSHOT_API_KEY has no default on purpose: without one the API listens on 127.0.0.1 only, unreachable from outside.
ENV EARSHOT_DATA_DIR=/data \
    JOBS_DB_URL=sqlite:////data/earshot.db \
    EARSHOT_MODELS_DIR=/models \
    EARSHOT_HTTP_HOST=0.0.0.0 \
    EARSHOT_HTTP_PORT=8080 \
    JAVA_OPTS="-XX:MaxRAMPercentage=75"
VOLUME ["/data", "/models"]
# 8080 HTTP (API, or /health /ready /metrics on a worker); 5701 cluster membership (Hazelcast); 5702 event bus.
EXPOSE 8080 5701 5702
USER earshot
WORKDIR /app
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${EARSHOT_HTTP_PORT}/ready" > /dev/null || exit 1
# sh -c so that JAVA_OPTS is split into JVM flags; exec so that java is PID 1 and gets SIGTERM (graceful drain).
ENTRYPOINT ["sh", "-c", "exec java --enable-native-access=ALL-UNNAMED $JAVA_OPTS -jar /app/earshot.jar \"$@\"", "earshot"]
CMD []
