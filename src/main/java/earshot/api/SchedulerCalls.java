package earshot.api;

import earshot.bus.Addresses;
import earshot.bus.Coalescer;
import earshot.bus.Failures;
import earshot.bus.GetJob;
import earshot.bus.HandOffCodec;
import earshot.tiers.QuotaRefusal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The API's requests to the scheduler over the event bus, shared by the routers of one HTTP verticle: each with a
 * timeout, the hot ones (submit, and every job lookup) coalesced into one bus message per event-loop turn, and a bus
 * failure mapped to an {@link ApiError} by its failure code.
 *
 * <p>Threading: created on the HTTP verticle's event loop, which its coalescers are confined to.
 */
final class SchedulerCalls {
  private final Vertx vertx;
  /**
   * Request bodies are built for the request and never touched again, so they are handed over, not copied; a request
   * gives up after {@code cluster.bus_timeout_seconds}, so one sent to a node that died fails within it.
   */
  private final DeliveryOptions bus;
  private final Coalescer submits;
  private final Coalescer lookups;

  SchedulerCalls(Vertx vertx, java.time.Duration timeout) {
    this.vertx = vertx;
    this.bus = HandOffCodec.options().setSendTimeout(timeout.toMillis());
    this.submits = new Coalescer(vertx, Addresses.JOBS_SUBMIT_BATCH, bus);
    this.lookups = new Coalescer(vertx, Addresses.JOBS_GET_BATCH, bus);
  }

  /** The delivery options of a request to the scheduler (hand-over codec, the configured timeout). */
  DeliveryOptions options() {
    return bus;
  }

  /** A submission ({@code SubmitJob} JSON), batched with the others of this event-loop turn. */
  Future<JsonObject> submit(JsonObject body) {
    return coalesced(submits, body);
  }

  /** A job lookup ({@code GetJob} JSON), batched with the others of this event-loop turn. */
  Future<JsonObject> lookup(JsonObject body) {
    return coalesced(lookups, body);
  }

  /** The job, if the caller may see it; otherwise 404, whether or not it exists. */
  Future<JsonObject> visibleJob(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    long id = Routes.jobId(ctx);
    return lookup(new GetJob(id).toJson()).compose(job -> who.maySee(job.getString("owner_user_id"))
        ? Future.succeededFuture(job) : Future.failedFuture(ApiError.notFound("job " + id + " not found")));
  }

  Future<JsonObject> request(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body, bus)
        .map(m -> m.body())
        .recover(err -> Future.failedFuture(mapBusFailure(err)));
  }

  private static Future<JsonObject> coalesced(Coalescer coalescer, JsonObject body) {
    return coalescer.request(body).recover(err -> Future.failedFuture(mapBusFailure(err)));
  }

  static Throwable mapBusFailure(Throwable err) {
    if (!(err instanceof ReplyException re)) {
      return err;
    }
    if (re.failureType() == ReplyFailure.NO_HANDLERS || re.failureType() == ReplyFailure.TIMEOUT) {
      return ApiError.unavailable("the job scheduler is not reachable");
    }
    return switch (re.failureCode()) {
      case Failures.BAD_REQUEST -> ApiError.invalid("body", re.getMessage());
      case Failures.NOT_FOUND -> ApiError.notFound(re.getMessage());
      case Failures.CONFLICT -> ApiError.conflict(re.getMessage());
      case Failures.QUOTA_EXCEEDED -> ApiError.quotaExceeded(QuotaRefusal.fromJson(new JsonObject(re.getMessage())));
      case Failures.UNPROCESSABLE -> new ApiError(422, ProblemTypes.VALIDATION, "Unprocessable Content",
          re.getMessage(), null);
      case Failures.INSUFFICIENT_STORAGE -> ApiError.insufficientStorage(re.getMessage());
      default -> ApiError.unavailable(re.getMessage());
    };
  }
}
