package earshot.bench;

import earshot.EarshotNode;
import earshot.config.ConfigLoader;
import earshot.metrics.NoopJobMetrics;
import earshot.runner.StageRegistry;
import earshot.testsupport.Databases;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HTTP throughput of {@code POST /api/v1/audio/jobs/submit} (URL jobs; no runners, so stages stay idle) and
 * {@code GET /api/v1/audio/jobs/{id}}, against a plain Vert.x hello-world route on the same machine. A closed-loop
 * load generator (Vert.x HttpClient, keep-alive, {@code connections} requests in flight) runs in its own Vert.x
 * instance; each case warms up, then counts 2xx answers for a fixed time.
 */
public final class HttpApiBench {
  static final String KEY = "bench-key-0123456789abcdef";

  public static void main(String[] args) throws Exception {
    String store = args.length > 0 ? args[0] : "sqlite";
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int connections = args.length > 2 ? Integer.parseInt(args[2]) : 32;
    // Optional 4th argument: the cases to run besides hello-world (for profiling one of them), e.g. "get".
    List<String> cases = List.of((args.length > 3 ? args[3] : "health,get,submit").split(","));
    Path dir = Files.createTempDirectory("earshot-http-bench");

    Vertx server = Vertx.vertx();
    int helloPort = server.createHttpServer().requestHandler(req -> req.response()
            .putHeader("Content-Type", "text/plain").end("Hello, World!"))
        .listen(0, "127.0.0.1").await(1, TimeUnit.MINUTES).actualPort();
    EarshotNode node = new EarshotNode(server, ConfigLoader.fromOverrides(new JsonObject()
        .put("data_dir", dir.resolve("data").toString())
        .put("roles", List.of("api", "scheduler"))
        .put("store", new JsonObject().put("url", store.equals("postgres") ? Databases.postgresUrl()
            : Databases.sqliteUrl(dir)))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("api", new JsonObject().put("key", KEY))
        // One owner submits tens of thousands of jobs: a tier without queued-job or daily limits.
        .put("quota", TestConfigs.unlimitedQuota(1))),
        NoopJobMetrics.INSTANCE, null, StageRegistry.of(), Clock.systemUTC());
    node.start().await(2, TimeUnit.MINUTES);
    int port = node.httpPort();

    Vertx load = Vertx.vertx();
    HttpClient client = load.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(connections));
    Buffer submitBody = new JsonObject().put("url", "https://example.org/talk.mp3").toBuffer();
    RequestOptions helloRequest = new RequestOptions().setHost("127.0.0.1").setPort(helloPort).setURI("/");
    RequestOptions submit = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI("/api/v1/audio/jobs/submit").putHeader("X-API-KEY", KEY).putHeader("Content-Type", "application/json");
    long jobId = client.request(submit).compose(r -> r.send(submitBody)).compose(r -> r.body())
        .map(b -> b.toJsonObject().getLong("id")).await(1, TimeUnit.MINUTES);
    RequestOptions status = new RequestOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/api/v1/audio/jobs/" + jobId).putHeader("X-API-KEY", KEY);

    // The API's own floor: a route through the same router, auth and failure handling that touches no store.
    RequestOptions health = new RequestOptions().setHost("127.0.0.1").setPort(port).setURI("/health")
        .putHeader("X-API-KEY", KEY);

    Result hello = run(load, client, helloRequest, null, seconds, connections);
    Result floor = cases.contains("health") ? run(load, client, health, null, seconds, connections) : Result.NONE;
    Result get = cases.contains("get") ? run(load, client, status, null, seconds, connections) : Result.NONE;
    Result post = cases.contains("submit") ? run(load, client, submit, submitBody, seconds, connections) : Result.NONE;

    System.out.printf(Locale.ROOT, "machine: %d cores; store %s; %d connections; %d s per case%n",
        Runtime.getRuntime().availableProcessors(), store, connections, seconds);
    System.out.println("| case | requests/s | share of hello-world | CPU µs/request | CPU share | cores busy "
        + "| database server CPU µs/request |");
    System.out.println("|---|---|---|---|---|---|---|");
    System.out.printf(Locale.ROOT, "| hello-world | %.0f | 100%% | %.1f | 100%% | %.2f | %.1f |%n", hello.perSecond,
        hello.cpuMicros, hello.busyCores, hello.databaseCpuMicros);
    row("GET /health (no store)", "", floor, hello);
    row("GET /jobs/{id}", " (target ≥ 50%)", get, hello);
    row("POST /jobs/submit", " (target ≥ 25%)", post, hello);
    System.exit(0);
  }

  private static void row(String name, String target, Result r, Result hello) {
    System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f%%%s | %.1f | %.0f%% | %.2f | %.1f |%n", name, r.perSecond,
        100 * r.perSecond / hello.perSecond, target, r.cpuMicros, 100 * hello.cpuMicros / r.cpuMicros, r.busyCores,
        r.databaseCpuMicros);
  }

  /**
   * 2xx answers per second, and the CPU time this whole process (server and load generator) spent per request. The
   * CPU figure is less disturbed by other work on a shared machine than the rate is: its share (hello-world's CPU
   * per request over the case's) is what the rate share would be if this process had the cores to itself. "Cores
   * busy" is the process's CPU time over the measured wall time: below the core count, the case waits on something
   * other than CPU (a commit, a round trip). The embedded Postgres server runs in processes of its own, so its CPU
   * time (every {@code postgres} process on the machine) is reported beside, per request.
   */
  private record Result(double perSecond, double cpuMicros, double busyCores, double databaseCpuMicros) {
    static final Result NONE = new Result(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
  }

  /** Closed loop: {@code connections} requests in flight; 2 s warm-up, then 2xx answers and CPU are counted. */
  private static Result run(Vertx vertx, HttpClient client, RequestOptions options, Buffer body, int seconds,
                            int connections) throws Exception {
    long warmupEnd = System.nanoTime() + 2_000_000_000L;
    Window w = new Window(warmupEnd, warmupEnd + seconds * 1_000_000_000L);
    Promise<Void> done = Promise.promise();
    AtomicLong running = new AtomicLong(connections);
    for (int i = 0; i < connections; i++) {
      loop(client, options, body, w, () -> {
        if (running.decrementAndGet() == 0) {
          done.complete();
        }
      });
    }
    done.future().await(seconds + 60L, TimeUnit.SECONDS);
    if (w.errors.get() > 0) {
      System.out.println(options.getURI() + ": " + w.errors.get() + " non-2xx or failed requests");
    }
    long cpuNanos = w.cpuAtEnd.get() - w.cpuAtStart.get();
    long databaseNanos = w.databaseAtEnd.get() - w.databaseAtStart.get();
    return new Result(w.ok.get() / (double) seconds, cpuNanos / 1e3 / w.ok.get(), cpuNanos / (seconds * 1e9),
        databaseNanos / 1e3 / w.ok.get());
  }

  /** The measured window of one case: answers counted in it, and the process CPU time at its edges. */
  private record Window(long start, long end, AtomicLong ok, AtomicLong errors, AtomicLong cpuAtStart,
                        AtomicLong cpuAtEnd, AtomicLong databaseAtStart, AtomicLong databaseAtEnd) {
    Window(long start, long end) {
      this(start, end, new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong(),
          new AtomicLong());
    }

    /** Counts an answer that arrived at {@code now}; the first answer past each edge reads the CPU clock. */
    void answered(long now, boolean success) {
      // Scanning the database server's processes reads /proc. At the window's start that runs off the load
      // generator's event loop, so it does not stall the measured requests; at its end nothing more is counted.
      if (now >= start && cpuAtStart.get() == 0 && cpuAtStart.compareAndSet(0, processCpuNanos())) {
        CompletableFuture.runAsync(() -> databaseAtStart.set(databaseCpuNanos()));
      }
      if (now >= end && cpuAtEnd.get() == 0 && cpuAtEnd.compareAndSet(0, processCpuNanos())) {
        databaseAtEnd.set(databaseCpuNanos());
      }
      if (now >= start && now < end) {
        (success ? ok : errors).incrementAndGet();
      }
    }
  }

  /** CPU time of every {@code postgres} process visible to this user (0 with SQLite). */
  private static long databaseCpuNanos() {
    return ProcessHandle.allProcesses()
        .map(ProcessHandle::info)
        .filter(info -> info.command().map(c -> c.endsWith("/postgres")).orElse(false))
        .mapToLong(info -> info.totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L))
        .sum();
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static void loop(HttpClient client, RequestOptions options, Buffer body, Window w, Runnable finished) {
    if (System.nanoTime() >= w.end()) {
      finished.run();
      return;
    }
    client.request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .onComplete(ar -> {
          w.answered(System.nanoTime(), ar.succeeded() && ar.result() / 100 == 2);
          loop(client, options, body, w, finished);
        });
  }
}
