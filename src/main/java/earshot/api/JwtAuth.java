package earshot.api;

import earshot.config.EarshotConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Multi-user mode: an {@code Authorization: Bearer <jwt>} (or the {@code token} query parameter, see
 * {@link QueryToken}) verified by vertx-auth-jwt (HS256 or RS256, issuer and
 * audience when configured, expiry always). {@code sub} becomes the owner id; the role claim, a string or a list,
 * makes the caller an admin when it holds {@code admin}.
 */
final class JwtAuth implements Handler<RoutingContext> {
  private final JWTAuth provider;
  private final String roleClaim;

  JwtAuth(Vertx vertx, EarshotConfig.Jwt config) {
    JWTOptions options = new JWTOptions().setAlgorithm(config.algorithm());
    if (config.issuer() != null) {
      options.setIssuer(config.issuer());
    }
    if (config.audience() != null) {
      options.setAudience(List.of(config.audience()));
    }
    PubSecKeyOptions key = new PubSecKeyOptions().setAlgorithm(config.algorithm())
        .setBuffer(config.algorithm().equals("HS256") ? config.secret() : config.publicKey());
    this.provider = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(key).setJWTOptions(options));
    this.roleClaim = config.roleClaim();
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String token;
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) && header.length() > 7) {
      token = header.substring(7).trim();
    } else if (header == null && QueryToken.of(ctx) != null) {
      token = QueryToken.of(ctx);
    } else {
      ctx.fail(ApiError.unauthorized("an Authorization: Bearer <token> header (or a ?" + QueryToken.PARAM
          + "= query parameter) is required"));
      return;
    }
    provider.authenticate(new TokenCredentials(token))
        .onSuccess(user -> {
          JsonObject claims = user.principal();
          String sub = claims.getValue("sub") == null ? null : String.valueOf(claims.getValue("sub"));
          if (sub == null || sub.isBlank()) {
            ctx.fail(ApiError.unauthorized("the token has no sub claim"));
            return;
          }
          new Principal(sub, hasAdmin(claims.getValue(roleClaim))).attach(ctx);
          ctx.next();
        })
        .onFailure(err -> ctx.fail(ApiError.unauthorized("invalid token: " + Echo.quoted(err.getMessage()))));
  }

  private static boolean hasAdmin(Object roles) {
    if (roles instanceof String s) {
      return List.of(s.split("[ ,]+")).contains("admin");
    }
    return roles instanceof JsonArray a && a.contains("admin");
  }
}
