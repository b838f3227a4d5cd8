package earshot.api;

import earshot.artifacts.ArtifactStore;
import earshot.config.EarshotConfig;
import earshot.metrics.QuotaMetrics;
import earshot.metrics.StreamMetrics;
import earshot.quota.StreamAdmission;
import earshot.stream.StreamServices;
import earshot.web.WebPage;
import java.time.Clock;
import earshot.metrics.EventMetrics;
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
 * bus, so the same verticle serves on an API-only node of a cluster. A node without the API role answers the same
 * probes from an {@link OpsHttpVerticle}.
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
  private final ArtifactStore artifacts;
  /** Log the loopback-only warning once per process, not once per instance. */
  private static final java.util.concurrent.atomic.AtomicBoolean WARNED_OPEN = new java.util.concurrent.atomic.AtomicBoolean();

  private final QuotaMetrics quotaMetrics;
  private final StreamMetrics streamMetrics;
  private final EventMetrics eventMetrics;
  private final Clock clock;

  /**
   * {@code rateLimiter} is shared by the node's instances of this verticle (it is thread-safe), or null; the meters
   * are the node's (thread-safe), for the live streams and job-event subscribers this verticle's connections hold.
   */
  public HttpApiVerticle(EarshotConfig config, PrometheusMeterRegistry registry, RateLimiter rateLimiter,
                         ArtifactStore artifacts, QuotaMetrics quotaMetrics, StreamMetrics streamMetrics,
                         EventMetrics eventMetrics, Clock clock) {
    this.artifacts = artifacts;
    this.config = config;
    this.eventMetrics = eventMetrics;
    this.registry = registry;
    this.rateLimiter = rateLimiter;
    this.quotaMetrics = quotaMetrics;
    this.streamMetrics = streamMetrics;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    if (!config.api().corsOrigins().isEmpty()) {
      router.route().handler(CorsHandler.create()
          .addOrigins(config.api().corsOrigins())
          .allowedMethods(java.util.Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE))
          .allowedHeaders(java.util.Set.of("Authorization", "Content-Type", "X-API-KEY", "Idempotency-Key", "Prefer",
              "Last-Event-ID"))
          .exposedHeaders(java.util.Set.of("Location", "Retry-After")));
    }
    router.route().handler(HttpApiVerticle::holdUpgrades);
    router.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(new Readiness(vertx, artifacts));
    if (registry != null) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    }
    mountApi(router);
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

  /** The API's routes: the docs, the web page, the native jobs API and the OpenAI-compatible one. */
  private void mountApi(Router router) {
    new ApiDocs().mount(router);
    new WebPage().mount(router);
    UploadsApi uploads = new UploadsApi(vertx, config, artifacts);
    uploads.mountSignedPut(router); // its signature is its credential: before the authenticated routers
    Router jobs = secured(FailureHandler.PROBLEM);
    SchedulerCalls calls = new SchedulerCalls(vertx, config.cluster().busTimeout());
    new JobEventsApi(vertx, config.events(), calls, eventMetrics).mount(jobs); // before JobsApi's /jobs/:id
    new JobsApi(vertx, config, calls, artifacts).mount(jobs);
    uploads.mount(jobs);
    new ResultsApi(calls).mount(jobs);
    new AdminApi(config, calls).mount(jobs);
    new UsageApi(calls, config.audio().providers()).mount(jobs);
    StreamApi streams = new StreamApi(new StreamServices(vertx, config.streaming(),
        new StreamAdmission(vertx, quotaMetrics, clock), streamMetrics, config.dataDir(),
        config.cluster().busTimeout()));
    streams.mountNative(jobs);
    router.route(JobsApi.BASE + "/*").subRouter(jobs);
    Router openai = secured(FailureHandler.OPENAI);
    new OpenAiApi(vertx, config, artifacts).mount(openai);
    streams.mountOpenAi(openai);
    router.route(OpenAiApi.BASE + "/*").subRouter(openai);
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

  /**
   * A WebSocket route upgrades with {@code toWebSocket()}, which needs the request still unread, but only after
   * asynchronous work (a JWT check, the job lookup): so an upgrade request's end is held back (paused) from here.
   * {@code toWebSocket()} resumes it; a request answered otherwise (refused, not found) is resumed when its response
   * ends, so that its connection can carry the next request.
   */
  private static void holdUpgrades(RoutingContext ctx) {
    String upgrade = ctx.request().getHeader(io.vertx.core.http.HttpHeaders.UPGRADE);
    if (upgrade != null && upgrade.equalsIgnoreCase("websocket")) {
      ctx.request().pause();
      ctx.addEndHandler(v -> {
        if (ctx.response().getStatusCode() != 101) {
          ctx.request().resume();
        }
      });
    }
    ctx.next();
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
