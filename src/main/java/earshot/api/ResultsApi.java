package earshot.api;

import earshot.jobs.JobStatus;
import earshot.jobs.PayloadKeys;
import earshot.transcribe.ResponseFormat;
import earshot.transcribe.ResultRenderer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /api/v1/audio/jobs/{id}/result}: a completed job's result in the native json or one of the OpenAI
 * text shapes. Threading: event loop.
 */
final class ResultsApi {
  private final SchedulerCalls calls;

  ResultsApi(SchedulerCalls calls) {
    this.calls = calls;
  }

  /** Mounts the route, relative to {@link JobsApi#BASE}. */
  void mount(Router router) {
    router.get("/jobs/:id/result").handler(this::result);
  }

  private void result(RoutingContext ctx) {
    ResponseFormat format = ResponseFormat.parse(ctx.request().getParam("format"))
        .orElseThrow(() -> ApiError.invalid("format", "must be one of json, text, srt, vtt, verbose_json"));
    calls.visibleJob(ctx).onSuccess(job -> {
      if (!JobStatus.COMPLETED.wireName().equals(job.getString("status"))) {
        ctx.fail(ApiError.conflict("job " + job.getLong("id") + " is " + job.getString("status") + ", not completed"));
        return;
      }
      boolean words = job.getJsonObject("payload", new JsonObject()).getBoolean(PayloadKeys.WORD_TIMESTAMPS, false);
      ctx.response().putHeader("Content-Type", format.contentType())
          .end(ResultRenderer.renderNative(job.getJsonObject("result", new JsonObject()), format, words));
    }).onFailure(ctx::fail);
  }
}
