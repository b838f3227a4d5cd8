package earshot.api;

import earshot.audio.DiskSpace;
import earshot.config.EarshotConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API: liveness, readiness, Prometheus metrics and the jobs API under {@code /api/v1/audio}. It reaches the scheduler only over the event
 * bus, so the same verticle serves on an API-only node of a cluster.
 *
 * <p>Threading: an event-loop verticle; every handler is non-blocking.
 */
public final class HttpApiVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApiVerticle.class);

  private final EarshotConfig config;
  private final PrometheusMeterRegistry registry;
  private HttpServer server;
  private ConnectionGuard guard;
  private Router router;
  private final RateLimiter rateLimiter;
  /** Log the loopback-only warning once per process, not once per instance. */
  private static final java.util.concurrent.atomic.AtomicBoolean WARNED_OPEN = new java.util.concurrent.atomic.AtomicBoolean();

  /** {@code rateLimiter} is shared by the node's instances of this verticle (it is thread-safe), or null. */
  public HttpApiVerticle(EarshotConfig config, PrometheusMeterRegistry registry, RateLimiter rateLimiter) {
    this.config = config;
    this.registry = registry;
    this.rateLimiter = rateLimiter;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    if (!config.api().corsOrigins().isEmpty()) {
      router.route().handler(CorsHandler.create()
          .addOrigins(config.api().corsOrigins())
          .allowedMethods(java.util.Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE))
          .allowedHeaders(java.util.Set.of("Authorization", "Content-Type", "X-API-KEY", "Idempotency-Key", "Prefer"))
          .exposedHeaders(java.util.Set.of("Location", "Retry-After")));
    }
    router.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(new Readiness(vertx));
    new ApiDocs().mount(router);
    if (registry != null) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    }
    Router jobs = secured(FailureHandler.PROBLEM);
    SchedulerCalls calls = new SchedulerCalls(vertx);
    new JobsApi(vertx, config, calls).mount(jobs);
    new ResultsApi(calls).mount(jobs);
    new AdminApi(config, calls).mount(jobs);
    new UsageApi(calls).mount(jobs);
    router.route(JobsApi.BASE + "/*").subRouter(jobs);
    Router openai = secured(FailureHandler.OPENAI);
    new OpenAiApi(vertx, config).mount(openai);
    router.route(OpenAiApi.BASE + "/*").subRouter(openai);
    router.route().failureHandler(ctx -> FailureHandler.forPath(ctx.request().path()).handle(ctx));
    router.errorHandler(404, ctx -> FailureHandler.answerByPath(ctx, ApiError.notFound(
        "no resource at " + ctx.request().method() + " " + Echo.quoted(ctx.request().path()))));
    router.errorHandler(405, ctx -> FailureHandler.answerByPath(ctx, new ApiError(405, ProblemTypes.METHOD_NOT_ALLOWED,
        "Method Not Allowed", ctx.request().method() + " is not allowed on " + Echo.quoted(ctx.request().path()),
        null)));
    this.router = router;
    // HTTP/1.1 only: with cleartext HTTP/2 on, Vert.x hands a connection to the server only once its first bytes
    // tell the protocol, so a silent connection would escape the guard, which follows one request at a time.
    HttpServerOptions options = MultipartUpload.withFormLimits(
        new HttpServerOptions().setHttp2ClearTextEnabled(false), config.api());
    return ConnectionGuard.create(vertx, config.http())
        .compose(g -> {
          guard = g;
          return g.install(vertx.createHttpServer(options), router).listen(config.http().port(), host());
        })
        .onSuccess(s -> {
          server = s;
          LOG.info("HTTP API listening on {}:{}", host(), s.actualPort());
        });
  }

  @Override
  public Future<?> stop() {
    if (guard != null) {
      guard.stop();
    }
    return Future.succeededFuture();
  }

  /** A sub-router behind authentication (and the rate limit), answering failures in its API's shape. */
  private Router secured(FailureHandler failures) {
    Router api = Router.router(vertx);
    api.route().handler(config.api().multiUser()
        ? new JwtAuth(vertx, config.api().jwt()) : new ApiKeyAuth(config.api()));
    if (rateLimiter != null) {
      api.route().handler(rateLimiter); // one bucket per caller across both API families
    }
    api.route().failureHandler(failures);
    return api;
  }

  /** Without an API key the API is open, so it listens on loopback only. */
  private String host() {
    if (!config.api().multiUser() && config.api().apiKey() == null && !isLoopback(config.http().host())) {
      if (WARNED_OPEN.compareAndSet(false, true)) {
        LOG.warn("no API key configured (EARSHOT_API_KEY): listening on 127.0.0.1 only instead of {}",
            config.http().host());
      }
      return "127.0.0.1";
    }
    return config.http().host();
  }

  private static boolean isLoopback(String host) {
    return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
  }

  /** Every {@code METHOD /path} this verticle serves, in OpenAPI notation (for the docs-match test). */
  public java.util.Set<String> routes() {
    return ApiDocs.routes(router);
  }

  /** The port actually bound (differs from the configured one when that is 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
