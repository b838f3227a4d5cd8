package earshot.api;

import earshot.config.EarshotConfig;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Single-user mode: the {@code X-API-KEY} header (or {@code Authorization: Bearer}, as the OpenAI SDKs send it, or the
 * {@code token} query parameter, for browsers' EventSource and WebSocket, which cannot set headers) must match the
 * configured key (compared in constant time). With no
 * key configured the server listens on loopback only, and every local caller is the single user. The single user
 * is an admin.
 */
final class ApiKeyAuth implements Handler<RoutingContext> {
  static final String HEADER = "X-API-KEY";

  private final byte[] key;
  private final Principal single;

  ApiKeyAuth(EarshotConfig.Api api) {
    this.key = api.apiKey() == null ? null : api.apiKey().getBytes(StandardCharsets.UTF_8);
    this.single = new Principal(api.singleUserId(), true);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (key != null) {
      String given = ctx.request().getHeader(HEADER);
      String authorization = ctx.request().getHeader("Authorization");
      if (given == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
        given = authorization.substring(7).trim(); // what the OpenAI SDKs send
      }
      if (given == null) {
        given = QueryToken.of(ctx);
      }
      if (given == null) {
        ctx.fail(ApiError.unauthorized("missing " + HEADER + " header (or Authorization: Bearer <key>, or ?"
            + QueryToken.PARAM + "=<key>)"));
        return;
      }
      if (!MessageDigest.isEqual(key, given.getBytes(StandardCharsets.UTF_8))) {
        ctx.fail(ApiError.unauthorized("invalid API key"));
        return;
      }
    }
    single.attach(ctx);
    ctx.next();
  }
}
