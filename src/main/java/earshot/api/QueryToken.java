package earshot.api;

import io.vertx.ext.web.RoutingContext;

/**
 * The {@code token} query parameter: the API key or JWT for clients that cannot set headers (a browser's EventSource
 * and WebSocket). {@link ApiKeyAuth} and {@link JwtAuth} accept it wherever they accept the header, and only when no
 * header was sent. A URL ends up in access logs, proxy logs and browser history, so the token does too: a
 * deployment that lets browsers in this way should give them short-lived JWTs.
 */
final class QueryToken {
  static final String PARAM = "token";

  private QueryToken() {}

  /** The query's token, or null when there is none (or it is blank). */
  static String of(RoutingContext ctx) {
    String token = ctx.request().getParam(PARAM);
    return token == null || token.isBlank() ? null : token.trim();
  }
}
