package earshot.api;

import earshot.bus.Addresses;
import earshot.bus.GetJob;
import earshot.bus.SubmitJob;
import earshot.config.EarshotConfig;
import earshot.jobs.JobUuids;
import earshot.pipeline.PayloadKeys;
import earshot.pipeline.Workspace;
import earshot.quota.QuotaRefusal;
import earshot.transcribe.ModelRegistry;
import earshot.transcribe.ResponseFormat;
import earshot.transcribe.ResultRenderer;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The OpenAI audio API ({@code /v1/audio/transcriptions}, {@code /v1/audio/translations}, {@code /v1/models}), so
 * the official SDKs work unchanged. A request becomes a high-priority job and the response waits for it; when the
 * wait passes {@code api.sync_timeout_seconds}, or the client sent {@code Prefer: respond-async}, the answer is 202
 * with the job and its {@code Location} instead.
 *
 * <p>Threading: event loop; listing the models directory runs in executeBlocking.
 */
final class OpenAiApi {
  static final String BASE = "/v1";
  static final int SYNC_PRIORITY = SubmitRequest.MAX_PRIORITY;
  private static final DeliveryOptions BUS = new DeliveryOptions().setSendTimeout(15_000);
  private static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");

  private final Vertx vertx;
  private final EarshotConfig config;
  private final Workspace workspace;

  OpenAiApi(Vertx vertx, EarshotConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.workspace = new Workspace(config.dataDir());
  }

  /** Mounts the routes, relative to {@link #BASE}. */
  void mount(Router router) {
    BodyHandler upload = BodyHandler.create(config.dataDir().resolve("uploads").toString())
        .setBodyLimit(Uploads.bodyLimit(config.api()))
        .setDeleteUploadedFilesOnEnd(true);
    UploadSpace room = new UploadSpace(vertx, config);
    router.post("/audio/transcriptions").handler(room).handler(UploadSpace.guarded(upload))
        .handler(ctx -> transcribe(ctx, false));
    router.post("/audio/translations").handler(room).handler(UploadSpace.guarded(upload))
        .handler(ctx -> transcribe(ctx, true));
    router.get("/models").handler(this::models);
  }

  private void transcribe(RoutingContext ctx, boolean translate) {
    Principal who = Principal.of(ctx);
    MultiMap form = ctx.request().formAttributes();
    ResponseFormat format = ResponseFormat.parse(form.get("response_format")).orElseThrow(() ->
        ApiError.invalid("response_format", "must be one of json, text, srt, vtt, verbose_json"));
    JsonObject payload = payload(form, translate);
    String uuid = JobUuids.next().toString();
    boolean async = String.valueOf(ctx.request().getHeader("Prefer")).toLowerCase(Locale.ROOT).contains("respond-async");
    Uploads.accept(vertx, workspace, config.api().maxUploadBytes(), uuid, ctx)
        .compose(stored -> {
          payload.put(PayloadKeys.UPLOAD_PATH, stored.path().toString()).put(PayloadKeys.FILE_NAME, stored.name());
          SubmitJob submit = new SubmitJob(who.ownerUserId(), payload, SYNC_PRIORITY, null, null, uuid);
          return request(Addresses.JOBS_SUBMIT, submit.toJson())
              .compose(JobsApi::accepted)
              .map(reply -> reply.getJsonObject("job").getLong("id"))
              .onFailure(err -> vertx.executeBlocking(() -> workspace.deleteWorkDir(uuid), false));
        })
        .compose(id -> async ? get(id) : awaitEnd(id))
        .onSuccess(job -> respond(ctx, job, format))
        .onFailure(ctx::fail);
  }

  private static JsonObject payload(MultiMap form, boolean translate) {
    JsonObject p = new JsonObject()
        .put(PayloadKeys.MODEL, SubmitRequest.knownModel(blankTo(form.get("model"), "whisper-1")))
        .put(PayloadKeys.LANGUAGE, translate ? "auto" : blankTo(form.get("language"), "auto").toLowerCase(Locale.ROOT))
        .put(PayloadKeys.TRANSLATE, translate)
        .put(PayloadKeys.PERFORM_CHUNKING, false)
        .put(PayloadKeys.PERFORM_ANALYSIS, false);
    if (!p.getString(PayloadKeys.LANGUAGE).matches("auto|[a-z]{2,3}")) {
      throw ApiError.invalid("language", "must be an ISO-639-1 code such as \"en\"");
    }
    String prompt = form.get("prompt");
    if (prompt != null && !prompt.isBlank()) {
      p.put(PayloadKeys.PROMPT, prompt);
    }
    String temperature = form.get("temperature");
    if (temperature != null && !temperature.isBlank()) {
      try {
        double t = Double.parseDouble(temperature);
        if (t < 0 || t > 1) {
          throw ApiError.invalid("temperature", "must be between 0 and 1");
        }
        p.put(PayloadKeys.TEMPERATURE, t);
      } catch (NumberFormatException e) {
        throw ApiError.invalid("temperature", "must be a number");
      }
    }
    List<String> granularities = form.getAll("timestamp_granularities[]");
    for (String g : granularities) {
      if (!g.equals("word") && !g.equals("segment")) {
        throw ApiError.invalid("timestamp_granularities[]", "must be word or segment");
      }
    }
    p.put(PayloadKeys.WORD_TIMESTAMPS, granularities.contains("word"));
    return p;
  }

  /** The job once it has finished, or as it is when the sync timeout passes. */
  private Future<JsonObject> awaitEnd(long id) {
    Promise<JsonObject> ended = Promise.promise();
    MessageConsumer<JsonObject> events = vertx.eventBus().consumer(Addresses.jobEvents(id), m -> {
      if (TERMINAL.contains(m.body().getString("status"))) {
        get(id).onComplete(ended);
      }
    });
    long timer = vertx.setTimer(Math.max(1, config.api().syncTimeout().toMillis()), t -> get(id).onComplete(ended));
    // The job may have finished before the consumer was registered: look once after registering.
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

  /** A failed job: 429 when a tier limit stopped it (its error starts with quota_exceeded), 422 otherwise. */
  private static ApiError failed(long id, String error) {
    return QuotaRefusal.JobStopped.fromJobError(error)
        .map(stopped -> ApiError.quotaExceeded(stopped.quota(), "job " + id + ": " + stopped.detail()))
        .orElseGet(() -> new ApiError(422, ProblemTypes.TRANSCRIPTION_FAILED, "Transcription failed",
            "job " + id + ": " + error, null));
  }

  private void respond(RoutingContext ctx, JsonObject job, ResponseFormat format) {
    long id = job.getLong("id");
    switch (job.getString("status")) {
      case "completed" -> ctx.response().putHeader("Content-Type", format.contentType())
          .end(ResultRenderer.render(job.getJsonObject("result", new JsonObject()), format));
      case "failed" -> ctx.fail(failed(id, job.getString("error")));
      case "cancelled" -> ctx.fail(ApiError.conflict("job " + id + " was cancelled"));
      default -> ctx.response().setStatusCode(202)
          .putHeader("Content-Type", "application/json")
          .putHeader("Location", JobsApi.BASE + "/jobs/" + id)
          .end(JobView.of(job).encode());
    }
  }

  private void models(RoutingContext ctx) {
    Principal.of(ctx);
    ModelRegistry registry = new ModelRegistry(config.audio().modelsDir(), config.audio().defaultModel());
    vertx.executeBlocking(() -> installed(registry), false).onSuccess(names -> {
      JsonArray data = new JsonArray();
      if (names.contains(config.audio().defaultModel())) {
        data.add(model(ModelRegistry.DEFAULT_ALIAS));
      }
      names.forEach(n -> data.add(model(n)));
      ctx.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("object", "list").put("data", data).encode());
    }).onFailure(ctx::fail);
  }

  private static Set<String> installed(ModelRegistry registry) throws java.io.IOException {
    Set<String> names = new TreeSet<>();
    Path dir = registry.modelsDir();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        files.map(f -> f.getFileName().toString())
            .filter(f -> f.startsWith("ggml-") && f.endsWith(".bin"))
            .map(f -> f.substring(5, f.length() - 4))
            .filter(ModelRegistry::isKnown)
            .forEach(names::add);
      }
    }
    return names;
  }

  private static JsonObject model(String id) {
    return new JsonObject().put("id", id).put("object", "model").put("created", 0).put("owned_by", "earshot");
  }

  private Future<JsonObject> get(long id) {
    return request(Addresses.JOBS_GET, new GetJob(id).toJson());
  }

  private Future<JsonObject> request(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body, BUS)
        .map(m -> m.body())
        .recover(err -> Future.failedFuture(JobsApi.mapBusFailure(err)));
  }

  private static String blankTo(String v, String fallback) {
    return v == null || v.isBlank() ? fallback : v.trim();
  }
}
