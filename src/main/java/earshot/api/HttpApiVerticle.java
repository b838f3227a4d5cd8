package earshot.api;

import earshot.bus.Addresses;
import earshot.bus.NodeStatus;
import earshot.bus.StorePing;
import earshot.config.EarshotConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API: liveness, readiness and Prometheus metrics for now. It reaches the scheduler only over the event
 * bus, so the same verticle serves on an API-only node of a cluster.
 *
 * <p>Threading: an event-loop verticle; every handler is non-blocking.
 */
public final class HttpApiVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApiVerticle.class);
  private static final DeliveryOptions PROBE = new DeliveryOptions().setSendTimeout(2_000);

  private final EarshotConfig.Http http;
  private final PrometheusMeterRegistry registry;
  private HttpServer server;

  public HttpApiVerticle(EarshotConfig.Http http, PrometheusMeterRegistry registry) {
    this.http = http;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(this::ready);
    if (registry != null) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    }
    router.errorHandler(404, ctx -> Problem.of(404, "Not Found", "no resource at " + ctx.request().path()).send(ctx));
    router.errorHandler(405, ctx -> Problem.of(405, "Method Not Allowed",
        ctx.request().method() + " is not allowed on " + ctx.request().path()).send(ctx));
    router.errorHandler(500, ctx -> {
      LOG.error("unhandled error on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
      Problem.of(500, "Internal Server Error", "the server failed to handle this request").send(ctx);
    });
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(http.port(), http.host())
        .onSuccess(s -> {
          server = s;
          LOG.info("HTTP API listening on {}:{}", http.host(), s.actualPort());
        });
  }

  /** The port actually bound (differs from the configured one when that is 0). */
  public int actualPort() {
    return server.actualPort();
  }

  /** Ready when every verticle of this node is deployed and a scheduler answers for a reachable store. */
  private void ready(RoutingContext ctx) {
    var bus = vertx.eventBus();
    Future<NodeStatus> node = bus.<JsonObject>request(Addresses.NODE_STATUS, new JsonObject(), PROBE)
        .map(m -> NodeStatus.fromJson(m.body()));
    Future<StorePing> store = bus.<JsonObject>request(Addresses.JOBS_PING, new JsonObject(), PROBE)
        .map(m -> StorePing.fromJson(m.body()));
    Future.join(node, store).onComplete(ar -> {
      JsonObject body = new JsonObject();
      boolean deployed = node.succeeded() && node.result().deployed();
      body.put("verticles", deployed ? "deployed" : "starting");
      if (node.succeeded()) {
        body.put("node_id", node.result().nodeId()).put("roles", node.result().roles());
      }
      if (store.succeeded()) {
        body.put("store", new JsonObject().put("kind", store.result().store()).put("status", "UP"));
      } else {
        body.put("store", new JsonObject().put("status", "DOWN").put("error", describe(store.cause())));
      }
      boolean ok = deployed && store.succeeded();
      body.put("status", ok ? "READY" : "NOT_READY");
      if (ok) {
        json(ctx, 200, body);
      } else {
        ctx.response().setStatusCode(503).putHeader("Content-Type", Problem.CONTENT_TYPE)
            .end(Problem.of(503, "Service Unavailable", "node is not ready").toJson().mergeIn(body).encode());
      }
    });
  }

  private static String describe(Throwable err) {
    if (err instanceof ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS) {
      return "no scheduler is reachable on the event bus";
    }
    return err.getMessage();
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
