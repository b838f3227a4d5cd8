package earshot.api;

import earshot.artifacts.ArtifactStore;
import earshot.config.EarshotConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations listener of a node without the API role (a CPU or GPU worker): {@code /health}, {@code /ready} and
 * {@code /metrics} on {@code http.host}:{@code http.port}, so that a container health check and Prometheus reach
 * every node. It serves nothing else, so it needs no API key: the same three routes are unauthenticated on the API.
 *
 * <p>Threading: an event-loop verticle; every handler is non-blocking.
 */
public final class OpsHttpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(OpsHttpVerticle.class);

  private final EarshotConfig.Http http;
  private final PrometheusMeterRegistry registry;
  private final ArtifactStore artifacts;
  private int port = -1;

  public OpsHttpVerticle(EarshotConfig.Http http, PrometheusMeterRegistry registry, ArtifactStore artifacts) {
    this.http = http;
    this.registry = registry;
    this.artifacts = artifacts;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("status", "UP").encode()));
    router.get("/ready").handler(new Readiness(vertx, artifacts));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    return vertx.createHttpServer().requestHandler(router).listen(http.port(), http.host())
        .onSuccess(s -> {
          port = s.actualPort();
          LOG.info("operations listener (/health, /ready, /metrics) on {}:{}", http.host(), port);
        });
  }

  /** The port actually bound, or -1 before it listens. */
  public int actualPort() {
    return port;
  }
}
