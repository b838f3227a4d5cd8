package earshot.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** What the {@code /api/v1/audio} routers share on the HTTP side: a JSON answer, the admin check, path and query parameters. */
final class Routes {
  private Routes() {}

  static void ok(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
  }

  static void requireAdmin(RoutingContext ctx) {
    if (!Principal.of(ctx).admin()) {
      throw ApiError.forbidden("admin role required");
    }
  }

  static long jobId(RoutingContext ctx) {
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

  static int intParam(RoutingContext ctx, String name, int fallback, int min, int max) {
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

  static String ownerParam(RoutingContext ctx, String name) {
    String v = ctx.pathParam(name);
    if (v == null || v.isBlank() || v.length() > 255) {
      throw ApiError.invalid(name, "must be 1 to 255 characters");
    }
    return v;
  }
}
