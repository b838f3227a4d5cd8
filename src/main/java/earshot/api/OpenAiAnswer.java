package earshot.api;

import earshot.bus.Addresses;
import earshot.bus.CancelJob;
import earshot.bus.GetJob;
import earshot.jobs.JobFailure;
import earshot.transcribe.ResponseFormat;
import earshot.transcribe.ResultRenderer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one {@code /v1} transcription request with its job. Without {@code Prefer: respond-async} it waits for the
 * job to end however long that takes: a job that ends within the first keep-alive interval is answered with its own
 * status (200, or the error of a failed job); after that the 200 headers go out, chunked, with the format's content
 * type, and a newline follows every interval so that proxies see traffic (JSON parsers skip it; text, srt and vtt
 * then start with blank lines), then the body. A job that fails after the headers went out ends the body with the
 * OpenAI error JSON instead, since the status can no longer change. A client that disconnects while waiting cancels
 * its job. With {@code Prefer: respond-async} the answer is 202 with the job and its {@code Location} at once.
 *
 * <p>Threading: event loop; everything here is an event-bus request, an event consumer or a timer.
 */
final class OpenAiAnswer {
  private static final Logger LOG = LoggerFactory.getLogger(OpenAiAnswer.class);
  private static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");
  private static final Buffer KEEP_ALIVE = Buffer.buffer("\n");

  private final Vertx vertx;
  private final Duration keepAlive;
  private final DeliveryOptions bus;

  OpenAiAnswer(Vertx vertx, Duration keepAlive, Duration busTimeout) {
    this.vertx = vertx;
    this.keepAlive = keepAlive;
    this.bus = new DeliveryOptions().setSendTimeout(busTimeout.toMillis());
  }

  void answer(RoutingContext ctx, long id, ResponseFormat format, boolean async) {
    Future<JsonObject> job = async ? get(id) : awaitEnd(ctx.response(), id, format);
    job.onSuccess(j -> respond(ctx, j, format)).onFailure(err -> {
      if (!ctx.response().closed()) {
        ctx.fail(err);
      }
    });
  }

  /** The job once it has ended, writing keep-alive bytes meanwhile; fails when the client goes away first. */
  private Future<JsonObject> awaitEnd(HttpServerResponse response, long id, ResponseFormat format) {
    Promise<JsonObject> ended = Promise.promise();
    MessageConsumer<JsonObject> events = vertx.eventBus().consumer(Addresses.jobEvents(id), m -> {
      if (TERMINAL.contains(m.body().getString("status"))) {
        get(id).onComplete(ended);
      }
    });
    long interval = keepAlive.toMillis();
    long timer = vertx.setPeriodic(interval, interval, t -> {
      if (response.closed() || response.ended()) {
        return;
      }
      if (!response.headWritten()) {
        response.setChunked(true).setStatusCode(200).putHeader("Content-Type", format.contentType());
      }
      response.write(KEEP_ALIVE);
    });
    Runnable clientGone = () -> {
      if (ended.tryFail("the client closed the connection while job " + id + " ran")) {
        cancel(id);
      }
    };
    response.closeHandler(v -> clientGone.run());
    if (response.closed()) {
      clientGone.run(); // gone during the upload or the submission, before the handler was set
    }
    // The job may have ended before the consumer was registered: look once after registering.
    events.completion()
        .compose(v -> get(id))
        .onSuccess(job -> {
          if (TERMINAL.contains(job.getString("status"))) {
            ended.tryComplete(job);
          }
        })
        .onFailure(ended::tryFail);
    return ended.future().andThen(ar -> {
      vertx.cancelTimer(timer);
      events.unregister();
    });
  }

  private void cancel(long id) {
    vertx.eventBus().request(Addresses.JOBS_CANCEL, new CancelJob(id).toJson(), bus)
        .onSuccess(m -> LOG.info("job {} cancelled: its /v1 client closed the connection", id))
        .onFailure(err -> LOG.debug("job {}: cancel after the client left did not apply: {}", id, err.getMessage()));
  }

  /**
   * A failed job, by its typed failure ({@link JobFailure}): 429 when a tier limit stopped it, 422 naming the model
   * when its model is not installed, 422 with its error otherwise.
   */
  private static ApiError failed(long id, String error, JobFailure failure) {
    if (failure != null && failure.is(JobFailure.MODEL_NOT_INSTALLED)) {
      return new ApiError(422, ProblemTypes.MODEL_NOT_INSTALLED, "Model not installed",
          "job " + id + ": " + failure.detail(), "model");
    }
    if (failure != null && failure.is(JobFailure.QUOTA_EXCEEDED)) {
      return ApiError.quotaExceeded(failure.quota(), "job " + id + ": " + failure.detail());
    }
    return new ApiError(422, ProblemTypes.TRANSCRIPTION_FAILED, "Transcription failed",
        "job " + id + ": " + (error == null ? "" : error), null);
  }

  private static void respond(RoutingContext ctx, JsonObject job, ResponseFormat format) {
    long id = job.getLong("id");
    HttpServerResponse response = ctx.response();
    switch (job.getString("status")) {
      case "completed" -> {
        if (!response.headWritten()) {
          response.putHeader("Content-Type", format.contentType());
        }
        response.end(ResultRenderer.render(job.getJsonObject("result", new JsonObject()), format));
      }
      case "failed" -> ctx.fail(failed(id, job.getString("error"), JobFailure.fromJson(job.getJsonObject("failure"))));
      case "cancelled" -> ctx.fail(ApiError.conflict("job " + id + " was cancelled"));
      default -> response.setStatusCode(202)
          .putHeader("Content-Type", "application/json")
          .putHeader("Location", JobsApi.BASE + "/jobs/" + id)
          .end(JobView.of(job).encode());
    }
  }

  private Future<JsonObject> get(long id) {
    return vertx.eventBus().<JsonObject>request(Addresses.JOBS_GET, new GetJob(id).toJson(), bus)
        .map(m -> m.body())
        .recover(err -> Future.failedFuture(SchedulerCalls.mapBusFailure(err)));
  }
}
