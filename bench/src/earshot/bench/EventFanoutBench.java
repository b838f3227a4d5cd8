package earshot.bench;

import earshot.EarshotNode;
import earshot.api.SseReader;
import earshot.config.ConfigLoader;
import earshot.metrics.NoopJobMetrics;
import earshot.runner.StageContext;
import earshot.runner.StageOutcome;
import earshot.testsupport.Databases;
import earshot.testsupport.StandInStages;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Job-event fan-out: {@code subscribers} SSE clients follow one job on one node; the job's running stage (a stand-in)
 * reports progress {@code changes} times, one change at a time, and for each change the time from the stage's report
 * to the moment the last subscriber has read the event is taken. That is the whole path: the report on the bus, the
 * scheduler's fenced progress write and its event-log insert, the publish, every subscriber's SSE write, and the
 * client reading it. The clients ({@link SseReader}: HTTP/1.1 over a Vert.x NetSocket each) run in their own Vert.x
 * instance in the same JVM (so on the same cores as the node).
 */
public final class EventFanoutBench {
  static final String KEY = "bench-key-0123456789abcdef";

  public static void main(String[] args) {
    try {
      run(args);
      System.exit(0);
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1); // the node's and the clients' threads would keep the JVM up
    }
  }

  private static void run(String[] args) throws Exception {
    String store = args.length > 0 ? args[0] : "sqlite";
    int subscribers = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int changes = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    Path dir = Files.createTempDirectory("earshot-events-bench");

    Vertx server = Vertx.vertx();
    CompletableFuture<StageContext> running = new CompletableFuture<>();
    Promise<Void> finish = Promise.promise();
    EarshotNode node = new EarshotNode(server, ConfigLoader.fromOverrides(new JsonObject()
        .put("data_dir", dir.resolve("data").toString())
        .put("roles", List.of("api", "scheduler", "cpu"))
        .put("store", new JsonObject().put("url", store.equals("postgres") ? Databases.postgresUrl()
            : Databases.sqliteUrl(dir)))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("api", new JsonObject().put("key", KEY))
        .put("quota", TestConfigs.unlimitedQuota(1))),
        NoopJobMetrics.INSTANCE, null, StandInStages.everyStage((stage, ctx) -> {
          running.complete(ctx); // the first stage (audio_download) is held until the run is over
          return finish.future().map(v -> new StageOutcome.Completed(ctx.payload(), null));
        }), Clock.systemUTC());
    node.start().await(2, TimeUnit.MINUTES);
    int port = node.httpPort();

    Vertx load = Vertx.vertx();
    HttpClient client = load.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(8));
    io.vertx.core.net.NetClient net = load.createNetClient();
    long jobId = client.request(io.vertx.core.http.HttpMethod.POST, port, "127.0.0.1", "/api/v1/audio/jobs/submit")
        .compose(r -> r.putHeader("X-API-KEY", KEY).putHeader("Content-Type", "application/json")
            .send(new JsonObject().put("url", "https://example.org/talk.mp3").toBuffer()))
        .compose(r -> r.body()).map(b -> b.toJsonObject().getLong("id")).await(1, TimeUnit.MINUTES);
    StageContext stage = running.get(1, TimeUnit.MINUTES);
    // When the scheduler published each progress value (after its store writes), to split the time in two.
    Map<Integer, Long> published = new java.util.concurrent.ConcurrentHashMap<>();
    server.eventBus().<JsonObject>consumer(earshot.bus.Addresses.jobEvents(jobId),
        m -> published.putIfAbsent(m.body().getInteger("stage_progress"), System.nanoTime()));

    List<Future<SseReader>> opening = new ArrayList<>();
    for (int i = 0; i < subscribers; i++) {
      opening.add(SseReader.open(net, port, "/api/v1/audio/jobs/" + jobId + "/events", Map.of("X-API-KEY", KEY)));
    }
    List<SseReader> readers = Future.all(opening).await(5, TimeUnit.MINUTES).list();
    awaitAll(readers, r -> !r.events.isEmpty(), "every subscriber's first event");

    List<Double> millis = new ArrayList<>();
    List<Double> toPublish = new ArrayList<>();
    int warmUp = 5;
    // Each change adds exactly one event per subscriber, so waiting only compares list sizes: checking the events'
    // contents while they arrive would take the cores the node and the clients need.
    int base = readers.getFirst().events.size();
    for (SseReader r : readers) {
      if (r.events.size() != base) {
        throw new IllegalStateException("subscribers started with different numbers of events");
      }
    }
    for (int p = 1; p <= warmUp + changes && p < 100; p++) {
      int progress = p;
      int index = base + p - 1;
      long reported = System.nanoTime();
      stage.progress(progress);
      awaitAll(readers, r -> r.events.size() > index, "stage_progress " + progress + " everywhere");
      while (!published.containsKey(progress)) {
        Thread.sleep(1); // the bench's own consumer may run after the subscribers' (another event loop)
      }
      long last = 0;
      for (SseReader r : readers) {
        if (stageProgress(r.events.get(index)) != progress) {
          throw new IllegalStateException("event " + index + " is not stage_progress " + progress);
        }
        last = Math.max(last, r.arrivals.get(index));
      }
      if (p > warmUp) {
        millis.add((last - reported) / 1e6);
        toPublish.add((published.get(progress) - reported) / 1e6);
      }
    }
    finish.complete();
    Collections.sort(millis);
    Collections.sort(toPublish);
    double p50 = percentile(millis, 0.50);
    double p95 = percentile(millis, 0.95);
    System.out.printf(Locale.ROOT, "store=%s subscribers=%d changes=%d: state change to last subscriber p50 %.1f ms,"
            + " p95 %.1f ms, max %.1f ms; target p95 <= 50 ms: %.2fx the target%n", store, subscribers, millis.size(),
        p50, p95, millis.getLast(), p95 / 50.0);
    System.out.printf(Locale.ROOT, "  of which report to publish (bus send, progress write, event-log insert):"
        + " p50 %.1f ms, p95 %.1f ms%n", percentile(toPublish, 0.50), percentile(toPublish, 0.95));
    load.close().await(1, TimeUnit.MINUTES);
    node.stop().await(2, TimeUnit.MINUTES);
    server.close().await(1, TimeUnit.MINUTES);
  }

  /** Read from the text: parsing every event's JSON in the clients would load the cores the node runs on. */
  private static int stageProgress(SseReader.Event e) {
    int at = e.raw().indexOf("\"stage_progress\":") + "\"stage_progress\":".length();
    int end = at;
    while (end < e.raw().length() && Character.isDigit(e.raw().charAt(end))) {
      end++;
    }
    return Integer.parseInt(e.raw().substring(at, end));
  }

  private static void awaitAll(List<SseReader> readers, java.util.function.Predicate<SseReader> done, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!readers.stream().allMatch(done)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      Thread.sleep(1); // a benchmark's poll: it only decides when to start the next change, not what is measured
    }
  }

  private static double percentile(List<Double> sorted, double q) {
    int i = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }
}
