package earshot.api;

import static earshot.api.Routes.ok;

import earshot.bus.Addresses;
import earshot.bus.OwnerQuery;
import earshot.config.EarshotConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /api/v1/audio/usage}: the caller's own tier, minutes and active counts, and whether the caller is an
 * admin; {@code GET /api/v1/audio/providers}: the analysis providers a job may name in {@code api_name}. Threading:
 * event loop.
 */
final class UsageApi {
  private final SchedulerCalls calls;
  private final JsonObject providers;

  UsageApi(SchedulerCalls calls, Map<String, EarshotConfig.Provider> providers) {
    this.calls = calls;
    this.providers = providerList(providers);
  }

  /** Mounts the route, relative to {@link JobsApi#BASE}. */
  void mount(Router router) {
    router.get("/usage").handler(this::usage);
    router.get("/providers").handler(ctx -> ok(ctx, providers.copy()));
  }

  /**
   * {@code {providers: [{name, model}], default}}: names and models only (never a base URL or key), by name;
   * {@code default} is the provider a job without {@code api_name} gets: the only one, when exactly one is configured.
   */
  static JsonObject providerList(Map<String, EarshotConfig.Provider> providers) {
    JsonArray list = new JsonArray();
    new TreeMap<>(providers).forEach((name, p) -> list.add(new JsonObject().put("name", name).put("model", p.model())));
    return new JsonObject().put("providers", list)
        .put("default", providers.size() == 1 ? providers.keySet().iterator().next() : null);
  }

  /**
   * The caller's own tier, today's (UTC) minutes used and left, their limits and active counts; {@code admin} says
   * whether the caller may use the admin endpoints (the web page shows its admin views by it).
   */
  private void usage(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    calls.request(Addresses.QUOTA_USAGE, new OwnerQuery(who.ownerUserId()).toJson())
        .onSuccess(body -> ok(ctx, body.put("admin", who.admin())))
        .onFailure(ctx::fail);
  }
}
