package earshot.api;

import earshot.bus.ActiveCounts;
import earshot.bus.ActiveCountsReply;
import earshot.bus.Addresses;
import earshot.bus.CancelJob;
import earshot.bus.Coalescer;
import earshot.bus.Failures;
import earshot.bus.GetJob;
import earshot.bus.HandOffCodec;
import earshot.bus.JobSummary;
import earshot.bus.ListDeliveries;
import earshot.bus.ListJobs;
import earshot.bus.OwnerQuery;
import earshot.bus.RetryJob;
import earshot.bus.SubmitJob;
import earshot.bus.TierChange;
import earshot.config.EarshotConfig;
import earshot.jobs.JobQuery;
import earshot.jobs.JobStatus;
import earshot.jobs.JobUuids;
import earshot.jobs.PayloadKeys;
import earshot.pipeline.Workspace;
import earshot.tiers.QuotaRefusal;
import earshot.transcribe.ResponseFormat;
import earshot.transcribe.ResultRenderer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * {@code /api/v1/audio}: submit, upload, follow, fetch results, cancel and list jobs, their webhook deliveries, and
 * the admin views. Every
 * call goes to the scheduler over the event bus with a timeout; bus failures map to problems by failure code.
 *
 * <p>Threading: event loop. An upload's body is streamed to disk by {@link MultipartUpload} (Vert.x async file I/O);
 * the only blocking work (moving and sniffing an upload) runs in executeBlocking.
 */
final class JobsApi {
  static final String BASE = "/api/v1/audio";
  /** Request bodies are built for the request and never touched again, so they are handed over, not copied. */
  private static final DeliveryOptions BUS = HandOffCodec.options().setSendTimeout(15_000);

  private final Vertx vertx;
  private final EarshotConfig config;
  private final Workspace workspace;
  /** The hot requests (submit, and every job lookup) leave in one bus message per event-loop turn. */
  private final Coalescer submits;
  private final Coalescer lookups;

  /** Created on the HTTP verticle's event loop, which its coalescers are confined to. */
  JobsApi(Vertx vertx, EarshotConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.workspace = new Workspace(config.dataDir());
    this.submits = new Coalescer(vertx, Addresses.JOBS_SUBMIT_BATCH, BUS);
    this.lookups = new Coalescer(vertx, Addresses.JOBS_GET_BATCH, BUS);
  }

  /** Mounts the routes, relative to {@link #BASE}, on a router that the caller mounts at BASE. */
  void mount(Router router) {
    BodyHandler json = BodyHandler.create(false).setBodyLimit(config.api().maxBodyBytes());
    router.post("/jobs/submit").handler(json).handler(this::submit);
    // UploadSpace refuses a body that cannot fit before it is read; MultipartUpload then reads it, not a BodyHandler.
    router.post("/jobs/upload").handler(new UploadSpace(vertx, config)).handler(this::upload);
    router.get("/jobs/admin/list").handler(this::adminList);
    router.get("/jobs/admin/summary").handler(this::adminSummary);
    router.get("/jobs/admin/summary-by-owner").handler(this::adminSummaryByOwner);
    router.get("/jobs/admin/owner/:owner_user_id/processing").handler(this::adminOwnerProcessing);
    router.get("/jobs/admin/tiers/:user_id").handler(this::adminGetTier);
    router.put("/jobs/admin/tiers/:user_id").handler(json).handler(this::adminSetTier);
    router.get("/usage").handler(this::usage);
    router.get("/jobs/:id/result").handler(this::result);
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
    LocalPathCheck.check(vertx, config.audio().allowedRoots(), req.payload().getString(PayloadKeys.LOCAL_PATH))
        .map(v -> {
          send(ctx, who, req, null);
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
      return Uploads.accept(vertx, workspace, uuid, form, ctx).map(stored -> {
        req.payload().put(PayloadKeys.UPLOAD_PATH, stored.path().toString()).put(PayloadKeys.FILE_NAME, stored.name());
        return req;
      });
    }).onSuccess(req -> send(ctx, who, req, uuid)).onFailure(ctx::fail);
  }

  private void send(RoutingContext ctx, Principal who, SubmitRequest req, String uuid) {
    if (req.callbackUrl() != null) {
      req.payload().put(PayloadKeys.CALLBACK_URL, req.callbackUrl());
    }
    String key = idempotencyKey(ctx);
    SubmitJob submit = new SubmitJob(who.ownerUserId(), req.payload(), req.priority(), null, key, uuid);
    coalesced(submits, submit.toJson())
        .compose(JobsApi::accepted)
        .onFailure(err -> {
          if (uuid != null) {
            vertx.executeBlocking(() -> workspace.deleteWorkDir(uuid), false); // refused: the upload is not needed
          }
        })
        .onSuccess(reply -> {
          if (!reply.getBoolean("created") && uuid != null) {
            // A repeated key: the first job stands; this upload is not needed.
            vertx.executeBlocking(() -> workspace.deleteWorkDir(uuid), false);
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

  /** The job, if the caller may see it; otherwise 404, whether or not it exists. */
  private Future<JsonObject> visibleJob(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    long id = jobId(ctx);
    return coalesced(lookups, new GetJob(id).toJson()).compose(job -> who.maySee(job.getString("owner_user_id"))
        ? Future.succeededFuture(job) : Future.failedFuture(ApiError.notFound("job " + id + " not found")));
  }

  private void get(RoutingContext ctx) {
    visibleJob(ctx).onSuccess(job -> ok(ctx, JobView.of(job))).onFailure(ctx::fail);
  }

  private void result(RoutingContext ctx) {
    ResponseFormat format = ResponseFormat.parse(ctx.request().getParam("format"))
        .orElseThrow(() -> ApiError.invalid("format", "must be one of json, text, srt, vtt, verbose_json"));
    visibleJob(ctx).onSuccess(job -> {
      if (!JobStatus.COMPLETED.wireName().equals(job.getString("status"))) {
        ctx.fail(ApiError.conflict("job " + job.getLong("id") + " is " + job.getString("status") + ", not completed"));
        return;
      }
      boolean words = job.getJsonObject("payload", new JsonObject()).getBoolean(PayloadKeys.WORD_TIMESTAMPS, false);
      ctx.response().putHeader("Content-Type", format.contentType())
          .end(ResultRenderer.renderNative(job.getJsonObject("result", new JsonObject()), format, words));
    }).onFailure(ctx::fail);
  }

  private void cancel(RoutingContext ctx) {
    visibleJob(ctx)
        .compose(job -> request(Addresses.JOBS_CANCEL, new CancelJob(job.getLong("id")).toJson()))
        .onSuccess(job -> ok(ctx, JobView.of(job)))
        .onFailure(ctx::fail);
  }

  private void retry(RoutingContext ctx) {
    visibleJob(ctx)
        .compose(job -> request(Addresses.JOBS_RETRY, new RetryJob(job.getLong("id")).toJson()))
        .onSuccess(job -> ok(ctx, JobView.of(job)))
        .onFailure(ctx::fail);
  }

  /** The job's webhook delivery attempts, oldest first; the job itself stays hidden. */
  private void deliveries(RoutingContext ctx) {
    visibleJob(ctx)
        .compose(job -> request(Addresses.JOBS_DELIVERIES, new ListDeliveries(job.getLong("id")).toJson()))
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
    listJobs(ctx, who.ownerUserId());
  }

  private void adminList(RoutingContext ctx) {
    requireAdmin(ctx);
    listJobs(ctx, ctx.request().getParam("owner_user_id"));
  }

  private void listJobs(RoutingContext ctx, String owner) {
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
    request(Addresses.JOBS_LIST, new ListJobs(new JobQuery(owner, st, limit, before)).toJson())
        .onSuccess(page -> {
          JsonArray jobs = new JsonArray();
          page.getJsonArray("jobs").forEach(j -> jobs.add(JobView.of((JsonObject) j)));
          ok(ctx, new JsonObject().put("jobs", jobs).put("next_cursor", page.getValue("next_cursor")));
        })
        .onFailure(ctx::fail);
  }

  private void adminSummary(RoutingContext ctx) {
    requireAdmin(ctx);
    request(Addresses.JOBS_SUMMARY, new JobSummary(ctx.request().getParam("owner_user_id")).toJson())
        .onSuccess(body -> ok(ctx, body))
        .onFailure(ctx::fail);
  }

  // ---- tiers, limits and usage ------------------------------------------------------------------------------

  private void adminSummaryByOwner(RoutingContext ctx) {
    requireAdmin(ctx);
    request(Addresses.QUOTA_SUMMARY_BY_OWNER, new JsonObject())
        .onSuccess(body -> ok(ctx, body))
        .onFailure(ctx::fail);
  }

  private void adminOwnerProcessing(RoutingContext ctx) {
    requireAdmin(ctx);
    request(Addresses.QUOTA_OWNER_PROCESSING, new OwnerQuery(ownerParam(ctx, "owner_user_id")).toJson())
        .onSuccess(body -> ok(ctx, body))
        .onFailure(ctx::fail);
  }

  private void adminGetTier(RoutingContext ctx) {
    requireAdmin(ctx);
    request(Addresses.QUOTA_TIER_GET, new OwnerQuery(ownerParam(ctx, "user_id")).toJson())
        .onSuccess(body -> ok(ctx, body))
        .onFailure(ctx::fail);
  }

  private void adminSetTier(RoutingContext ctx) {
    requireAdmin(ctx);
    String user = ownerParam(ctx, "user_id");
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw ApiError.invalid("body", "must be a JSON object such as {\"tier\": \"premium\"}");
    }
    if (body == null || !(body.getValue("tier") instanceof String tier) || tier.isBlank()) {
      throw ApiError.invalid("tier", "is required: the name of a configured tier");
    }
    request(Addresses.QUOTA_TIER_SET, new TierChange(user, tier).toJson())
        .recover(err -> Future.failedFuture(err instanceof ApiError e && e.status() == 422
            ? ApiError.unprocessable("tier", e.getMessage()) : err))
        .onSuccess(reply -> ok(ctx, reply))
        .onFailure(ctx::fail);
  }

  /** The caller's own tier, today's (UTC) minutes used and left, their limits and active counts. */
  private void usage(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    request(Addresses.QUOTA_USAGE, new OwnerQuery(who.ownerUserId()).toJson())
        .onSuccess(body -> ok(ctx, body))
        .onFailure(ctx::fail);
  }

  private static String ownerParam(RoutingContext ctx, String name) {
    String v = ctx.pathParam(name);
    if (v == null || v.isBlank() || v.length() > 255) {
      throw ApiError.invalid(name, "must be 1 to 255 characters");
    }
    return v;
  }

  private void queueStats(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    Future.all(request(Addresses.JOBS_QUEUE_STATS, new JsonObject()), redisHealth(who.ownerUserId()))
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
    return vertx.eventBus().<JsonObject>request(Addresses.QUOTA_ACTIVE, new ActiveCounts(owner).toJson(), BUS)
        .map(m -> "redis".equals(ActiveCountsReply.fromJson(m.body()).backend()) ? "UP" : "FALLBACK")
        .otherwise("UNKNOWN")
        .map(status -> new JsonObject().put("configured", true).put("status", status));
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  private static void requireAdmin(RoutingContext ctx) {
    if (!Principal.of(ctx).admin()) {
      throw ApiError.forbidden("admin role required");
    }
  }

  private static long jobId(RoutingContext ctx) {
    String raw = ctx.pathParam("id");
    try {
      long id = Long.parseLong(raw);
      if (id > 0) {
        return id;
      }
    } catch (NumberFormatException ignored) {
      // falls through to the validation error
    }
    throw ApiError.invalid("id", "must be a positive integer job id");
  }

  private static int intParam(RoutingContext ctx, String name, int fallback, int min, int max) {
    String raw = ctx.request().getParam(name);
    if (raw == null) {
      return fallback;
    }
    try {
      int v = Integer.parseInt(raw);
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // falls through to the validation error
    }
    throw ApiError.invalid(name, "must be an integer from " + min + " to " + max);
  }

  private Future<JsonObject> request(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body, BUS)
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

  private static void ok(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
  }
}
