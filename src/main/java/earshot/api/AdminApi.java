package earshot.api;

import static earshot.api.Routes.ok;
import static earshot.api.Routes.ownerParam;
import static earshot.api.Routes.requireAdmin;

import earshot.bus.Addresses;
import earshot.bus.JobSummary;
import earshot.bus.OwnerQuery;
import earshot.bus.TierChange;
import earshot.config.EarshotConfig;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * {@code /api/v1/audio/jobs/admin/...}: every owner's jobs, summaries, an owner's processing count, and the tier an
 * owner is on. Every route needs the admin role. Threading: event loop.
 */
final class AdminApi {
  private final EarshotConfig config;
  private final SchedulerCalls calls;

  AdminApi(EarshotConfig config, SchedulerCalls calls) {
    this.config = config;
    this.calls = calls;
  }

  /** Mounts the routes, relative to {@link JobsApi#BASE}. */
  void mount(Router router) {
    BodyHandler json = BodyHandler.create(false).setBodyLimit(config.api().maxBodyBytes());
    router.get("/jobs/admin/list").handler(this::adminList);
    router.get("/jobs/admin/summary").handler(this::adminSummary);
    router.get("/jobs/admin/summary-by-owner").handler(this::adminSummaryByOwner);
    router.get("/jobs/admin/owner/:owner_user_id/processing").handler(this::adminOwnerProcessing);
    router.get("/jobs/admin/tiers/:user_id").handler(this::adminGetTier);
    router.put("/jobs/admin/tiers/:user_id").handler(json).handler(this::adminSetTier);
  }

  private void adminList(RoutingContext ctx) {
    requireAdmin(ctx);
    JobsApi.listJobs(calls, ctx, ctx.request().getParam("owner_user_id"));
  }

  private void adminSummary(RoutingContext ctx) {
    requireAdmin(ctx);
    calls.request(Addresses.JOBS_SUMMARY, new JobSummary(ctx.request().getParam("owner_user_id")).toJson())
        .onSuccess(body -> ok(ctx, body))
        .onFailure(ctx::fail);
  }

  private void adminSummaryByOwner(RoutingContext ctx) {
    requireAdmin(ctx);
    calls.request(Addresses.QUOTA_SUMMARY_BY_OWNER, new JsonObject())
        .onSuccess(body -> ok(ctx, body))
        .onFailure(ctx::fail);
  }

  private void adminOwnerProcessing(RoutingContext ctx) {
    requireAdmin(ctx);
    calls.request(Addresses.QUOTA_OWNER_PROCESSING, new OwnerQuery(ownerParam(ctx, "owner_user_id")).toJson())
        .onSuccess(body -> ok(ctx, body))
        .onFailure(ctx::fail);
  }

  private void adminGetTier(RoutingContext ctx) {
    requireAdmin(ctx);
    calls.request(Addresses.QUOTA_TIER_GET, new OwnerQuery(ownerParam(ctx, "user_id")).toJson())
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
    calls.request(Addresses.QUOTA_TIER_SET, new TierChange(user, tier).toJson())
        .recover(err -> Future.failedFuture(err instanceof ApiError e && e.status() == 422
            ? ApiError.unprocessable("tier", e.getMessage()) : err))
        .onSuccess(reply -> ok(ctx, reply))
        .onFailure(ctx::fail);
  }
}
