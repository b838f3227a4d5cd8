package earshot.api;

import static earshot.api.Routes.ok;

import earshot.bus.Addresses;
import earshot.bus.OwnerQuery;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /api/v1/audio/usage}: the caller's own tier, minutes and active counts. Threading: event loop. */
final class UsageApi {
  private final SchedulerCalls calls;

  UsageApi(SchedulerCalls calls) {
    this.calls = calls;
  }

  /** Mounts the route, relative to {@link JobsApi#BASE}. */
  void mount(Router router) {
    router.get("/usage").handler(this::usage);
  }

  /** The caller's own tier, today's (UTC) minutes used and left, their limits and active counts. */
  private void usage(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    calls.request(Addresses.QUOTA_USAGE, new OwnerQuery(who.ownerUserId()).toJson())
        .onSuccess(body -> ok(ctx, body))
        .onFailure(ctx::fail);
  }
}
