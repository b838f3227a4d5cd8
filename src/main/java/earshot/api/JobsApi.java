package earshot.api;

import static earshot.api.Routes.intParam;
import static earshot.api.Routes.ok;

import earshot.bus.ActiveCounts;
import earshot.bus.ActiveCountsReply;
import earshot.bus.Addresses;
import earshot.bus.CancelJob;
import earshot.bus.ListDeliveries;
import earshot.bus.ListJobs;
import earshot.bus.RetryJob;
import earshot.bus.SubmitJob;
import earshot.artifacts.ArtifactStore;
import earshot.config.EarshotConfig;
import earshot.jobs.JobQuery;
import earshot.jobs.JobStatus;
import earshot.jobs.JobUuids;
import earshot.jobs.PayloadKeys;
import earshot.pipeline.Workspace;
import earshot.tiers.QuotaRefusal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * {@code /api/v1/audio/jobs}: submit, upload, follow, cancel, retry and list jobs, their webhook deliveries, and the
 * queue statistics. The other resources under {@link #BASE} have routers of their own ({@link ResultsApi},
 * {@link AdminApi}, {@link UsageApi}); every call goes to the scheduler through {@link SchedulerCalls}.
 *
 * <p>Threading: event loop. An upload's body is streamed to disk by {@link MultipartUpload} (Vert.x async file I/O);
 * the only blocking work (moving and sniffing an upload) runs in executeBlocking.
 */
final class JobsApi {
  static final String BASE = "/api/v1/audio";

  private final Vertx vertx;
  private final EarshotConfig config;
  private final Workspace workspace;
  private final ArtifactStore artifacts;
  private final SchedulerCalls calls;

  /** Created on the HTTP verticle's event loop, with the {@link SchedulerCalls} its routers share. */
  JobsApi(Vertx vertx, EarshotConfig config, SchedulerCalls calls, ArtifactStore artifacts) {
    this.vertx = vertx;
    this.config = config;
    this.workspace = new Workspace(config.dataDir());
    this.artifacts = artifacts;
    this.calls = calls;
  }

  /** Mounts the routes, relative to {@link #BASE}, on a router that the caller mounts at BASE. */
  void mount(Router router) {
    BodyHandler json = BodyHandler.create(false).setBodyLimit(config.api().maxBodyBytes());
    router.post("/jobs/submit").handler(json).handler(this::submit);
    // UploadSpace refuses a body that cannot fit before it is read; MultipartUpload then reads it, not a BodyHandler.
    router.post("/jobs/upload").handler(new UploadSpace(vertx, config)).handler(this::upload);
    router.post("/jobs/:id/cancel").handler(this::cancel);
    router.post("/jobs/:id/retry").handler(this::retry);
    router.get("/jobs/:id/deliveries").handler(this::deliveries);
    router.get("/jobs/:id").handler(this::get);
    router.get("/jobs").handler(this::list);
    router.get("/queue/stats").handler(this::queueStats);
  }

  // ---- submissions -------------------------------------------------------------------------------------------

  private void submit(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw ApiError.invalid("body", "must be a JSON object");
    }
    if (body == null) {
      throw ApiError.invalid("body", "must be a JSON object");
    }
    SubmitRequest req = SubmitRequest.fromJson(body);
    String objectKey = (String) req.payload().remove(PayloadKeys.OBJECT_KEY);
    if (objectKey != null) {
      // A presigned upload: checked, sniffed and moved to the new job's upload key before the job exists.
      idempotencyKey(ctx);
      String uuid = JobUuids.next().toString();
      Uploads.acceptObject(vertx, artifacts, uuid, objectKey, config.api().maxUploadBytes(),
          workspace.uploadsDir(), config.cluster().busTimeout(), ctx)
          .onSuccess(stored -> {
            req.payload().put(PayloadKeys.UPLOAD_KEY, stored.key()).put(PayloadKeys.FILE_NAME, stored.name());
            send(ctx, who, req, uuid, () -> giveBack(stored.key(), objectKey));
          })
          .onFailure(ctx::fail);
      return;
    }
    LocalPathCheck.check(vertx, config.audio().allowedRoots(), req.payload().getString(PayloadKeys.LOCAL_PATH))
        .map(v -> {
          send(ctx, who, req, null, null);
          return null;
        })
        .onFailure(ctx::fail);
  }

  private void upload(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    idempotencyKey(ctx); // refused before the body is read; send's own check then cannot throw after it
    String uuid = JobUuids.next().toString();
    MultipartUpload.receive(ctx, config.api(), workspace.stagedUpload(uuid)).compose(form -> {
      SubmitRequest req = SubmitRequest.fromForm(form.fields());
      return Uploads.accept(vertx, artifacts, uuid, form, config.cluster().busTimeout(), ctx).map(stored -> {
        req.payload().put(PayloadKeys.UPLOAD_KEY, stored.key()).put(PayloadKeys.FILE_NAME, stored.name());
        return req;
      });
    }).onSuccess(req -> send(ctx, who, req, uuid, () -> discardUpload(uuid))).onFailure(ctx::fail);
  }

  /** {@code onRefused}: what becomes of the job's upload when the submission is refused (null: it has none). */
  private void send(RoutingContext ctx, Principal who, SubmitRequest req, String uuid, Runnable onRefused) {
    if (req.callbackUrl() != null) {
      req.payload().put(PayloadKeys.CALLBACK_URL, req.callbackUrl());
    }
    String key = idempotencyKey(ctx);
    SubmitJob submit = new SubmitJob(who.ownerUserId(), req.payload(), req.priority(), null, key, uuid);
    calls.submit(submit.toJson())
        .compose(JobsApi::accepted)
        .onFailure(err -> {
          if (onRefused != null) {
            onRefused.run(); // refused: the job's upload is not needed
          }
        })
        .onSuccess(reply -> {
          if (!reply.getBoolean("created") && uuid != null) {
            // A repeated key: the first job stands; this upload is not needed.
            discardUpload(uuid);
          }
          // The reply's job JSON (Submitted) is read as it is: only these fields are answered.
          JsonObject job = reply.getJsonObject("job");
          long id = job.getLong("id");
          ctx.response().setStatusCode(202)
              .putHeader("Content-Type", "application/json")
              .putHeader("Location", BASE + "/jobs/" + id)
              .end(new JsonObject().put("id", id).put("uuid", job.getString("uuid")).put("domain", job.getString("domain"))
                  .put("queue", job.getString("queue")).put("job_type", job.getString("job_type"))
                  .put("status", job.getString("status")).encode());
        })
        .onFailure(ctx::fail);
  }

  /**
   * Moves a presigned upload that a refused submission had taken back to its own key, so that the client may submit
   * it again (after a quota refusal, say) without uploading it again.
   */
  private void giveBack(String uploadKey, String objectKey) {
    vertx.executeBlocking(() -> artifacts.move(uploadKey, objectKey), false)
        .onFailure(err -> org.slf4j.LoggerFactory.getLogger(JobsApi.class)
            .warn("could not give back the presigned upload {}: {}", objectKey, err.getMessage()));
  }

  /** Deletes the stored upload of a job that was not created; the orphan sweep is the backstop if this fails. */
  private void discardUpload(String uuid) {
    vertx.executeBlocking(() -> artifacts.deleteJobObjects(uuid, false), false)
        .onFailure(err -> org.slf4j.LoggerFactory.getLogger(JobsApi.class)
            .warn("could not delete the upload of refused job {}: {}", uuid, err.getMessage()));
  }

  private static String idempotencyKey(RoutingContext ctx) {
    String key = ctx.request().getHeader("Idempotency-Key");
    if (key != null && (key.isBlank() || key.length() > 255)) {
      throw ApiError.invalid("Idempotency-Key", "must be 1 to 255 characters");
    }
    return key;
  }

  /**
   * The scheduler's answer to a submission ({@code Submitted} JSON): as it is, or a tier's refusal as a 429
   * quota_exceeded problem (with {@code Retry-After} when waiting helps, as at the end of a UTC day).
   */
  static Future<JsonObject> accepted(JsonObject reply) {
    JsonObject refusal = reply.getJsonObject("refusal");
    return refusal == null ? Future.succeededFuture(reply)
        : Future.failedFuture(ApiError.quotaExceeded(QuotaRefusal.fromJson(refusal)));
  }

  // ---- following a job ---------------------------------------------------------------------------------------

  private void get(RoutingContext ctx) {
    calls.visibleJob(ctx).onSuccess(job -> ok(ctx, JobView.of(job))).onFailure(ctx::fail);
  }

  private void cancel(RoutingContext ctx) {
    calls.visibleJob(ctx)
        .compose(job -> calls.request(Addresses.JOBS_CANCEL, new CancelJob(job.getLong("id")).toJson()))
        .onSuccess(job -> ok(ctx, JobView.of(job)))
        .onFailure(ctx::fail);
  }

  private void retry(RoutingContext ctx) {
    calls.visibleJob(ctx)
        .compose(job -> calls.request(Addresses.JOBS_RETRY, new RetryJob(job.getLong("id")).toJson()))
        .onSuccess(job -> ok(ctx, JobView.of(job)))
        .onFailure(ctx::fail);
  }

  /** The job's webhook delivery attempts, oldest first; the job itself stays hidden. */
  private void deliveries(RoutingContext ctx) {
    calls.visibleJob(ctx)
        .compose(job -> calls.request(Addresses.JOBS_DELIVERIES, new ListDeliveries(job.getLong("id")).toJson()))
        .onSuccess(reply -> {
          JsonArray out = new JsonArray();
          ListDeliveries.attempts(reply).forEach(a -> {
            JsonObject view = a.toJson();
            view.remove("job_id");
            out.add(view);
          });
          ok(ctx, new JsonObject().put("deliveries", out));
        })
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    listJobs(calls, ctx, who.ownerUserId());
  }

  /** One page of {@code owner}'s jobs (every owner's when null), as the list and admin list routes answer it. */
  static void listJobs(SchedulerCalls calls, RoutingContext ctx, String owner) {
    String status = ctx.request().getParam("status");
    JobStatus st = null;
    if (status != null) {
      try {
        st = JobStatus.fromWire(status);
      } catch (IllegalArgumentException e) {
        throw ApiError.invalid("status", "must be one of queued, processing, completed, failed, cancelled");
      }
    }
    int limit = intParam(ctx, "limit", 50, 1, 200);
    String cursor = ctx.request().getParam("cursor");
    Long before = null;
    if (cursor != null) {
      try {
        before = Long.parseLong(cursor);
      } catch (NumberFormatException e) {
        throw ApiError.invalid("cursor", "must be the next_cursor of a previous page");
      }
    }
    calls.request(Addresses.JOBS_LIST, new ListJobs(new JobQuery(owner, st, limit, before)).toJson())
        .onSuccess(page -> {
          JsonArray jobs = new JsonArray();
          page.getJsonArray("jobs").forEach(j -> jobs.add(JobView.of((JsonObject) j)));
          ok(ctx, new JsonObject().put("jobs", jobs).put("next_cursor", page.getValue("next_cursor")));
        })
        .onFailure(ctx::fail);
  }

  private void queueStats(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    Future.all(calls.request(Addresses.JOBS_QUEUE_STATS, new JsonObject()), redisHealth(who.ownerUserId()))
        .onSuccess(all -> ok(ctx, all.<JsonObject>resultAt(0).put("redis", all.<JsonObject>resultAt(1))))
        .onFailure(ctx::fail);
  }

  /**
   * {@code {configured, status}}: whether the active counters are meant to live in Redis and, if so, whether they do
   * ({@code UP}) or this node counts in-process because Redis is unreachable ({@code FALLBACK}).
   */
  private Future<JsonObject> redisHealth(String owner) {
    if (config.quota().redisUrl() == null) {
      return Future.succeededFuture(new JsonObject().put("configured", false).put("status", "NOT_CONFIGURED"));
    }
    return vertx.eventBus()
        .<JsonObject>request(Addresses.QUOTA_ACTIVE, new ActiveCounts(owner).toJson(), calls.options())
        .map(m -> "redis".equals(ActiveCountsReply.fromJson(m.body()).backend()) ? "UP" : "FALLBACK")
        .otherwise("UNKNOWN")
        .map(status -> new JsonObject().put("configured", true).put("status", status));
  }
}
