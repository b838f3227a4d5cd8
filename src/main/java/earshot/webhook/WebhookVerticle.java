package earshot.webhook;

import earshot.api.JobView;
import earshot.bus.Addresses;
import earshot.bus.GetJob;
import earshot.bus.JobEvent;
import earshot.bus.RecordDelivery;
import earshot.config.EarshotConfig;
import earshot.jobs.DeliveryAttempt;
import earshot.jobs.JobStatus;
import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.metrics.NodeMetrics;
import earshot.net.AddressPolicy;
import earshot.net.UrlGuard;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers webhooks: when a job with a {@code callback_url} completes, fails or is cancelled, POSTs a signed JSON
 * event to that URL, retries non-2xx answers and failures with exponential backoff up to
 * {@code webhooks.max_attempts}, and has the scheduler record every attempt ({@link Addresses#JOBS_DELIVERY_RECORD}).
 * The callback URL passes the same SSRF guard as downloads ({@link UrlGuard} with {@code audio.download.allow_private})
 * and the connection goes to the address it validated; a refused URL is recorded as a failed attempt, never retried.
 *
 * <p>Threading: an event-loop verticle; the Vert.x HTTP client is non-blocking, DNS runs in executeBlocking and
 * retries wait on timers. Its only state is its own HTTP client. Pending retries live in memory: a delivery whose
 * node stops between attempts is not resumed (its recorded attempts show where it stopped).
 *
 * <p>Clusters: every scheduler node receives every job event. The delivery id is derived from the job, the event
 * and the event's time, so all nodes agree on it, and the store records each attempt of a delivery once: a node
 * whose attempt was already recorded by another stops, so retries are made by one node. First attempts can still be
 * sent by several nodes at once; receivers should de-duplicate on {@code X-Earshot-Delivery}.
 */
public final class WebhookVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookVerticle.class);
  /** Retry delays stop doubling here. */
  private static final long MAX_BACKOFF_MS = 3_600_000;

  private final EarshotConfig.Webhooks config;
  private final UrlGuard guard;
  private final WebhookSigner signer;
  private final Clock clock;
  private final NodeMetrics metrics;
  private HttpClientAgent client;
  /** Requests to the job readers and the delivery log, with the node's bus timeout. */
  private final DeliveryOptions bus;

  /** {@code metrics} counts the attempts that did not deliver in {@code webhook_failures_total{reason}}. */
  public WebhookVerticle(EarshotConfig.Webhooks config, EarshotConfig.Download download, Clock clock,
                         NodeMetrics metrics, java.time.Duration busTimeout) {
    this.metrics = metrics;
    this.bus = new DeliveryOptions().setSendTimeout(busTimeout.toMillis());
    this.config = config;
    this.guard = new UrlGuard(new AddressPolicy(download.allowPrivate(), AddressPolicy.Use.WEBHOOK));
    this.signer = config.secret() == null ? null : new WebhookSigner(config.secret());
    this.clock = clock;
  }

  /** One delivery: the same id, event, URL and body for every attempt. */
  private record Delivery(long jobId, String id, String event, String url, String body) {}

  /** How one attempt went: the HTTP status when one came back, otherwise the error; whether to try again. */
  private record Outcome(Integer status, String error, boolean retryable) {
    boolean delivered() {
      return status != null && status >= 200 && status < 300;
    }
  }

  @Override
  public Future<?> start() {
    if (signer == null) {
      LOG.warn("webhooks.secret (EARSHOT_WEBHOOK_SECRET) is not set: webhooks are sent without X-Earshot-Signature");
    }
    client = vertx.createHttpClient(new HttpClientOptions()
        .setKeepAlive(false)
        .setVerifyHost(true)
        .setConnectTimeout((int) timeoutMs())
        .setMaxRedirects(0));
    // Local: the scheduler that ended the job publishes on its own node, where a webhook verticle runs beside it. In a
    // cluster every node's would get the event otherwise, and the callback would be POSTed once per scheduler.
    return vertx.eventBus().<JsonObject>localConsumer(Addresses.JOBS_FINISHED, this::onEvent).completion();
  }

  @Override
  public Future<?> stop() {
    return client == null ? Future.succeededFuture() : client.close();
  }

  private void onEvent(Message<JsonObject> msg) {
    JobEvent event = JobEvent.fromJson(msg.body()); // earshot.jobs.finished: completed, failed or cancelled
    String name = "job." + event.status();
    vertx.eventBus().<JsonObject>request(Addresses.JOBS_GET, new GetJob(event.id()).toJson(), bus)
        .compose(reply -> {
          JsonObject job = reply.body();
          JsonObject payload = job.getJsonObject("payload", new JsonObject());
          if (!(payload.getValue(PayloadKeys.CALLBACK_URL) instanceof String url) || url.isBlank()) {
            return Future.<Void>succeededFuture();
          }
          String id = UUID.nameUUIDFromBytes((event.uuid() + "|" + name + "|" + event.at())
              .getBytes(StandardCharsets.UTF_8)).toString();
          return deliver(new Delivery(event.id(), id, name, url, body(name, job)), 1);
        })
        .onFailure(err -> LOG.warn("webhook for job {} ({}) failed: {}", event.id(), name, err.getMessage()));
  }

  static String body(String event, JsonObject job) {
    JsonObject body = new JsonObject().put("event", event).put("job", JobView.of(job));
    if (JobStatus.COMPLETED.wireName().equals(job.getString("status")) && job.getJsonObject("result") != null) {
      body.put("result", job.getJsonObject("result"));
    }
    return body.encode();
  }

  /** Makes attempt {@code n}, records it, and schedules the next one when it failed and may be retried. */
  private Future<Void> deliver(Delivery d, int n) {
    long started = System.nanoTime();
    return attempt(d)
        .andThen(ar -> {
          if (ar.succeeded() && !ar.result().delivered()) {
            Outcome o = ar.result();
            metrics.webhookFailure(o.status() != null ? NodeMetrics.WEBHOOK_HTTP_STATUS
                : o.retryable() ? NodeMetrics.WEBHOOK_NETWORK : NodeMetrics.WEBHOOK_REFUSED);
          }
        })
        .compose(outcome -> record(d, n, outcome, (System.nanoTime() - started) / 1_000_000)
            .compose(recorded -> {
              if (!recorded) {
                LOG.info("webhook {} attempt {} for job {} was already recorded by another node; leaving it there",
                    d.id(), n, d.jobId());
                return Future.succeededFuture();
              }
              if (outcome.delivered()) {
                LOG.info("webhook {} for job {} delivered to {} ({})", d.event(), d.jobId(), d.url(), outcome.status());
                return Future.succeededFuture();
              }
              if (!outcome.retryable() || n >= config.maxAttempts()) {
                LOG.warn("webhook {} for job {} to {} given up after attempt {}: {}", d.event(), d.jobId(), d.url(),
                    n, outcome.error());
                return Future.succeededFuture();
              }
              return later(backoffMs(n)).compose(v -> deliver(d, n + 1));
            }));
  }

  /** The delay before attempt {@code n + 1}: backoff doubling from the first retry, capped at an hour. */
  long backoffMs(int n) {
    long delay = config.backoff().toMillis();
    for (int i = 1; i < n && delay < MAX_BACKOFF_MS; i++) {
      delay *= 2;
    }
    return Math.min(delay, MAX_BACKOFF_MS);
  }

  private Future<Void> later(long delayMs) {
    Promise<Void> due = Promise.promise();
    vertx.setTimer(Math.max(1, delayMs), id -> due.complete());
    return due.future();
  }

  /** One POST; never fails: every way it can go wrong becomes an {@link Outcome}. */
  private Future<Outcome> attempt(Delivery d) {
    UrlGuard.HostResolver resolver = host -> vertx.executeBlocking(() -> List.of(InetAddress.getAllByName(host)), false);
    return guard.check(d.url(), resolver)
        .compose(target -> post(target, d))
        .map(status -> status >= 200 && status < 300
            ? new Outcome(status, null, false)
            : new Outcome(status, "answered HTTP " + status, true))
        .recover(err -> Future.succeededFuture(err instanceof PermanentStageException refused
            ? new Outcome(null, "callback refused: " + refused.getMessage(), false)
            : new Outcome(null, describe(err), true)));
  }

  private Future<Integer> post(UrlGuard.Target target, Delivery d) {
    String timestamp = Long.toString(clock.instant().getEpochSecond());
    HttpConnectOptions connect = new HttpConnectOptions()
        .setServer(target.server())
        .setHost(target.host())
        .setPort(target.port())
        .setSsl(target.ssl())
        .setConnectTimeout(timeoutMs());
    RequestOptions request = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setHost(target.host())
        .setPort(target.port())
        .setURI(target.requestUri())
        .setFollowRedirects(false)
        .setIdleTimeout(timeoutMs())
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.USER_AGENT, "earshot")
        .putHeader("X-Earshot-Event", d.event())
        .putHeader("X-Earshot-Delivery", d.id())
        .putHeader("X-Earshot-Timestamp", timestamp);
    if (signer != null) {
      request.putHeader("X-Earshot-Signature", signer.sign(timestamp, d.body()));
    }
    // A connection of our own, dialled to the address the guard validated (no DNS rebinding), closed afterwards.
    return client.connect(connect).compose(connection -> connection.request(request)
        .compose(req -> req.send(d.body()))
        .compose(response -> response.body().map(ignored -> response.statusCode()))
        .eventually(connection::close));
  }

  private Future<Boolean> record(Delivery d, int n, Outcome o, long durationMs) {
    DeliveryAttempt attempt = new DeliveryAttempt(d.jobId(), d.id(), d.event(), d.url(), n, o.status(), o.error(),
        durationMs, null);
    return vertx.eventBus().<JsonObject>request(Addresses.JOBS_DELIVERY_RECORD, new RecordDelivery(attempt).toJson(),
        bus).map(reply -> RecordDelivery.recorded(reply.body()));
  }

  private long timeoutMs() {
    return config.timeout().toMillis();
  }

  private String describe(Throwable err) {
    if (err instanceof TimeoutException) { // Vert.x's request idle timeout
      return "no answer within " + timeoutMs() + " ms";
    }
    return err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
  }
}
