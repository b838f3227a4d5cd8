package earshot.api;

import earshot.artifacts.ArtifactStore;
import earshot.bus.Addresses;
import earshot.bus.ModelStatus;
import earshot.bus.NodeStatus;
import earshot.bus.StorePing;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /ready}, shared by the API and the operations listener of a node without the API role. It asks this
 * node's status and a scheduler's store over the event bus, so it never blocks its event loop.
 */
final class Readiness implements Handler<RoutingContext> {
  private static final DeliveryOptions PROBE = new DeliveryOptions().setSendTimeout(2_000);

  private final Vertx vertx;
  private final ArtifactStore artifacts;

  Readiness(Vertx vertx, ArtifactStore artifacts) {
    this.vertx = vertx;
    this.artifacts = artifacts;
  }

  /**
   * Ready when every verticle of this node is deployed, a scheduler answers for a reachable store (over the bus,
   * possibly on another node: {@code scheduler} says whether one was reached), the artifact store can be used (a
   * writable directory, or a bucket that answers HEAD within the probe's time) and, on a node that transcribes, its
   * default model is installed and valid (checked again on every probe).
   */
  @Override
  public void handle(RoutingContext ctx) {
    var bus = vertx.eventBus();
    Future<NodeStatus> node = bus.<JsonObject>request(Addresses.NODE_STATUS, new JsonObject(), PROBE)
        .map(m -> NodeStatus.fromJson(m.body()));
    Future<StorePing> store = bus.<JsonObject>request(Addresses.JOBS_PING, new JsonObject(), PROBE)
        .map(m -> StorePing.fromJson(m.body()));
    Future<Void> files = vertx.<Void>executeBlocking(() -> {
      artifacts.check();
      return null;
    }, false).timeout(PROBE.getSendTimeout(), java.util.concurrent.TimeUnit.MILLISECONDS);
    Future.join(node, store, files).onComplete(ar -> {
      JsonObject body = new JsonObject();
      boolean deployed = node.succeeded() && node.result().deployed();
      body.put("verticles", deployed ? "deployed" : "starting");
      ModelStatus model = node.succeeded() ? node.result().defaultModel() : null;
      if (node.succeeded()) {
        body.put("node_id", node.result().nodeId()).put("roles", node.result().roles());
        if (node.result().whisper() != null) {
          body.put("whisper", node.result().whisper());
        }
        if (model != null) {
          body.put("model", model.toJson());
        }
      }
      body.put("scheduler", store.succeeded() || store.cause() instanceof ReplyException re
          && re.failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE ? "reachable" : "unreachable");
      if (store.succeeded()) {
        body.put("store", new JsonObject().put("kind", store.result().store()).put("status", "UP"));
      } else {
        body.put("store", new JsonObject().put("status", "DOWN").put("error", describe(store.cause())));
      }
      JsonObject artifactStatus = new JsonObject().put("kind", artifacts.kind());
      body.put("artifacts", files.succeeded() ? artifactStatus.put("status", "UP")
          : artifactStatus.put("status", "DOWN").put("error", files.cause().getMessage()));
      boolean modelOk = model == null || model.usable();
      boolean ok = deployed && store.succeeded() && modelOk && files.succeeded();
      body.put("readiness", ok ? "READY" : "NOT_READY");
      if (ok) {
        ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
            .end(body.put("status", "READY").encode());
      } else {
        // A problem document: its status stays the HTTP status (RFC 9457), so the word goes in readiness.
        String detail = !modelOk ? model.error() : "node is not ready";
        ctx.response().setStatusCode(503).putHeader("Content-Type", Problem.CONTENT_TYPE)
            .end(body.mergeIn(Problem.of(503, ProblemTypes.UNAVAILABLE, "Service Unavailable", detail).toJson())
                .encode());
      }
    });
  }

  private static String describe(Throwable err) {
    if (err instanceof ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS) {
      return "no scheduler is reachable on the event bus";
    }
    return err.getMessage();
  }
}
