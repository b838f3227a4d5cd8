package earshot.api;

import earshot.bus.Addresses;
import earshot.bus.SubmitJob;
import earshot.artifacts.ArtifactStore;
import earshot.config.EarshotConfig;
import earshot.jobs.JobUuids;
import earshot.jobs.PayloadKeys;
import earshot.cluster.WorkerDirectory;
import earshot.pipeline.Workspace;
import earshot.transcribe.ModelRegistry;
import earshot.transcribe.ResponseFormat;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;

/**
 * The OpenAI audio API ({@code /v1/audio/transcriptions}, {@code /v1/audio/translations}, {@code /v1/models}), so
 * the official SDKs work unchanged. A request becomes a high-priority job, and {@link OpenAiAnswer} answers it: with
 * the transcript once the job ends, however long it runs, or with 202 and the job when the client sent
 * {@code Prefer: respond-async}. Errors are answered in OpenAI's shape by {@link FailureHandler#OPENAI}.
 *
 * <p>Threading: event loop; listing the models directory runs in executeBlocking.
 */
final class OpenAiApi {
  static final String BASE = "/v1";
  static final int SYNC_PRIORITY = SubmitRequest.MAX_PRIORITY;

  private final Vertx vertx;
  private final EarshotConfig config;
  private final Workspace workspace;
  private final DeliveryOptions bus;
  private final ArtifactStore artifacts;
  private final OpenAiAnswer answer;

  OpenAiApi(Vertx vertx, EarshotConfig config, ArtifactStore artifacts) {
    this.vertx = vertx;
    this.config = config;
    this.workspace = new Workspace(config.dataDir());
    this.artifacts = artifacts;
    this.answer = new OpenAiAnswer(vertx, config.api().openaiKeepalive(), config.cluster().busTimeout());
    this.bus = new DeliveryOptions().setSendTimeout(config.cluster().busTimeout().toMillis());
  }

  /** Mounts the routes, relative to {@link #BASE}. */
  void mount(Router router) {
    // UploadSpace refuses a body that cannot fit before it is read; MultipartUpload then reads it, not a BodyHandler.
    UploadSpace room = new UploadSpace(vertx, config);
    router.post("/audio/transcriptions").handler(room).handler(ctx -> transcribe(ctx, false));
    router.post("/audio/translations").handler(room).handler(ctx -> transcribe(ctx, true));
    router.get("/models").handler(this::models);
  }

  private void transcribe(RoutingContext ctx, boolean translate) {
    Principal who = Principal.of(ctx);
    String uuid = JobUuids.next().toString();
    boolean async = String.valueOf(ctx.request().getHeader("Prefer")).toLowerCase(Locale.ROOT).contains("respond-async");
    MultipartUpload.receive(ctx, config.api(), workspace.stagedUpload(uuid)).compose(form -> {
      MultiMap fields = form.fields();
      ResponseFormat format = ResponseFormat.parse(fields.get("response_format")).orElseThrow(() ->
          ApiError.invalid("response_format", "must be one of json, text, srt, vtt, verbose_json"));
      JsonObject payload = payload(fields, translate);
      return submit(ctx, who, uuid, form, payload).onSuccess(id -> answer.answer(ctx, id, format, async));
    }).onFailure(ctx::fail);
  }

  /** Moves the staged upload into the artifact store and submits the job; its id. */
  private Future<Long> submit(RoutingContext ctx, Principal who, String uuid, MultipartUpload.Form form,
                              JsonObject payload) {
    return Uploads.accept(vertx, artifacts, uuid, form, config.cluster().busTimeout(), ctx).compose(stored -> {
      payload.put(PayloadKeys.UPLOAD_KEY, stored.key()).put(PayloadKeys.FILE_NAME, stored.name());
      SubmitJob submit = new SubmitJob(who.ownerUserId(), payload, SYNC_PRIORITY, null, null, uuid);
      return request(Addresses.JOBS_SUBMIT, submit.toJson())
          .compose(JobsApi::accepted)
          .map(reply -> reply.getJsonObject("job").getLong("id"))
          .onFailure(err -> vertx.executeBlocking(() -> artifacts.deleteJobObjects(uuid, false), false));
    });
  }

  private static JsonObject payload(MultiMap form, boolean translate) {
    JsonObject p = new JsonObject()
        .put(PayloadKeys.MODEL, SubmitRequest.knownModel(blankTo(form.get("model"), "whisper-1")))
        .put(PayloadKeys.LANGUAGE, translate ? "auto" : SubmitRequest.knownLanguage(form.get("language")))
        .put(PayloadKeys.TRANSLATE, translate)
        .put(PayloadKeys.PERFORM_CHUNKING, false)
        .put(PayloadKeys.PERFORM_ANALYSIS, false);
    String prompt = form.get("prompt");
    if (prompt != null && !prompt.isBlank()) {
      p.put(PayloadKeys.PROMPT, prompt);
    }
    String temperature = form.get("temperature");
    if (temperature != null && !temperature.isBlank()) {
      try {
        double t = Double.parseDouble(temperature);
        if (!(t >= 0 && t <= 1)) { // also refuses "NaN"
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

  /**
   * The models a transcription can use: on one node, those in its models directory; in a cluster, those the live
   * transcribers hold (the API node may hold none).
   */
  private void models(RoutingContext ctx) {
    Principal.of(ctx);
    Future<List<String>> held = config.cluster().enabled()
        ? new WorkerDirectory(vertx).live().map(workers -> workers.stream()
            .flatMap(w -> w.models().stream()).distinct().sorted().toList())
        : vertx.executeBlocking(() -> ModelRegistry.installed(config.audio().modelsDir()), false);
    held.onSuccess(names -> {
      JsonArray data = new JsonArray();
      if (names.contains(config.audio().defaultModel())) {
        data.add(model(ModelRegistry.DEFAULT_ALIAS));
      }
      names.forEach(n -> data.add(model(n)));
      ctx.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("object", "list").put("data", data).encode());
    }).onFailure(ctx::fail);
  }

  private static JsonObject model(String id) {
    return new JsonObject().put("id", id).put("object", "model").put("created", 0).put("owned_by", "earshot");
  }

  private Future<JsonObject> request(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body, bus)
        .map(m -> m.body())
        .recover(err -> Future.failedFuture(SchedulerCalls.mapBusFailure(err)));
  }

  private static String blankTo(String v, String fallback) {
    return v == null || v.isBlank() ? fallback : v.trim();
  }
}
