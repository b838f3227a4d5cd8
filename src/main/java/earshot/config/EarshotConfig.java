package earshot.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The node's whole configuration as typed records, built once by {@link ConfigLoader} and passed down.
 * Nothing else in the code base reads the environment or raw JSON config.
 */
public record EarshotConfig(
    Path dataDir,
    Set<Role> roles,
    Http http,
    Store store,
    Jobs jobs,
    Queues queues,
    Runners runners,
    Audio audio,
    Api api,
    Webhooks webhooks,
    Quota quota,
    Cluster cluster,
    Artifacts artifacts,
    Streaming streaming,
    Events events,
    Metrics metrics) {

  /** What a node runs. The same jar runs as an all-in-one, API-only, CPU-only or GPU-only node. */
  public enum Role {
    API, SCHEDULER, CPU, GPU;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * The HTTP listener. {@code instances}: HTTP verticle instances (event loops parsing requests); 0 means one per core.
   * The rest bounds what a slow or idle client can hold (see {@code earshot.api.ConnectionGuard}): a connection
   * waiting for a request must complete its head within {@code headerTimeout} (or {@code idleTimeout}, if shorter); a
   * request body that stalls for {@code idleTimeout}, or brings fewer than {@code minUploadBytesPerSecond} bytes a
   * second over a {@code minUploadWindow} (0: no rate floor), is answered 408 and closed; a node holds at most
   * {@code maxConnections} connections.
   */
  public record Http(String host, int port, int instances, Duration idleTimeout, Duration headerTimeout,
                     long minUploadBytesPerSecond, Duration minUploadWindow, int maxConnections) {
    public int effectiveInstances() {
      return instances > 0 ? instances : Runtime.getRuntime().availableProcessors();
    }
  }

  /** {@code url} is {@code sqlite:///path} or {@code postgresql://user:pass@host:port/db}. */
  public record Store(String url, int poolSize) {
    public boolean isPostgres() {
      return url.startsWith("postgresql://") || url.startsWith("postgres://");
    }

    /** The SQLite file for a {@code sqlite:///path} URL; relative paths resolve against the working directory. */
    public Path sqlitePath() {
      String rest = url.substring("sqlite://".length());
      // sqlite:///abs/path -> "/abs/path"; sqlite:///./rel -> "/./rel" which we treat as relative.
      if (rest.startsWith("/./") || rest.startsWith("/../")) {
        rest = rest.substring(1);
      }
      return Path.of(rest);
    }
  }

  public record Jobs(
      Duration lease,
      boolean workerEnabled,
      boolean ownerStrict,
      int maxRetries,
      Duration retryBackoff,
      Duration retryBackoffMax,
      Duration pollInterval,
      Duration shutdownGrace) {

    /** Runners renew about every third of the lease, as the issue asks. */
    public Duration heartbeatInterval() {
      return lease.dividedBy(3);
    }

    /** The sweeper looks for expired leases a few times per lease, bounded so short test leases stay responsive. */
    public Duration sweepInterval() {
      Duration d = lease.dividedBy(4);
      Duration max = Duration.ofSeconds(5);
      Duration min = Duration.ofMillis(50);
      return d.compareTo(max) > 0 ? max : d.compareTo(min) < 0 ? min : d;
    }
  }

  /**
   * Queue routing: audio_transcribe goes to {@code transcribe} unless the job's model is mapped to its own queue;
   * every other stage goes to {@code default}. In a cluster ({@code perModel}), a model that is not mapped and is not
   * the default model gets a queue of its own, {@code transcribe.<model>}, so that a transcriber asks only for work
   * whose model it holds, and a job for a model no live node holds stays queued.
   */
  public record Queues(String defaultQueue, String transcribeQueue, Map<String, String> transcribeByModel) {
    /** The OpenAI name that means "the default model". */
    public static final String DEFAULT_MODEL_ALIAS = "whisper-1";

    /**
     * The queue of a transcription of {@code model} (as the job names it; null or the alias is {@code defaultModel}).
     */
    public String transcribeQueueFor(String model, String defaultModel, boolean perModel) {
      if (model != null && transcribeByModel.containsKey(model)) {
        return transcribeByModel.get(model);
      }
      String canonical = model == null || model.isBlank() || DEFAULT_MODEL_ALIAS.equals(model) ? defaultModel : model;
      if (canonical != null && transcribeByModel.containsKey(canonical)) {
        return transcribeByModel.get(canonical);
      }
      return !perModel || canonical == null || canonical.equals(defaultModel) ? transcribeQueue : transcribeQueue + "." + canonical;
    }

    /** The model whose transcriptions {@code queue} holds in a cluster, or null for a queue of no one model. */
    public String modelOfQueue(String queue, String defaultModel) {
      for (Map.Entry<String, String> e : transcribeByModel.entrySet()) {
        if (e.getValue().equals(queue) && !DEFAULT_MODEL_ALIAS.equals(e.getKey())) {
          return e.getKey();
        }
      }
      if (queue.equals(transcribeQueue)) {
        return defaultModel;
      }
      return queue.startsWith(transcribeQueue + ".") ? queue.substring(transcribeQueue.length() + 1) : null;
    }

    /** Every queue a transcriber (GPU role) serves. */
    public List<String> transcribeQueues() {
      java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
      all.add(transcribeQueue);
      all.addAll(transcribeByModel.values());
      return List.copyOf(all);
    }

    /** Every configured queue: the default one and every transcribe queue. */
    public List<String> all() {
      java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
      all.add(defaultQueue);
      all.addAll(transcribeQueues());
      return List.copyOf(all);
    }
  }

  public record Runners(int cpuSlots, int gpuSlots) {}

  /** The audio pipeline: inputs, decoding limits, models, chunking and analysis providers. */
  public record Audio(
      Path modelsDir,
      String defaultModel,
      List<Path> allowedRoots,
      Download download,
      Whisper whisper,
      Chunking chunking,
      Map<String, Provider> providers) {}

  /**
   * Remote audio: size limit, timeouts, redirect cap, and the hosts/CIDRs that may resolve to loopback, private,
   * link-local or metadata addresses (empty: none may).
   */
  public record Download(long maxBytes, Duration connectTimeout, Duration idleTimeout, int maxRedirects,
                         List<String> allowPrivate) {}

  /**
   * whisper.cpp: threads per job, the window length long audio is cut into, the node's decoding defaults (unset
   * fields are whisper.cpp's own), the cap on live decoder states, and the directory of the {@code libwhisper.so.1}
   * to bind (null: whisper-jni's bundled CPU build; a directory: e.g. a CUDA build of the same whisper.cpp release).
   *
   * @param threads whisper.cpp threads per job, already resolved: {@code audio.whisper.threads}, or where that is 0
   *     {@link #threadsPerJob the cores shared among the transcribe slots}
   */
  public record Whisper(int threads, Duration window, earshot.transcribe.WhisperEngine.Sampling sampling,
                        int maxStates, Path libraryDir) {
    /**
     * ggml's threads spin at their barriers, so more threads than free cores slow a decode down many times over:
     * by default each of the node's transcribe slots gets its share of the cores, and never fewer than one.
     */
    public static int threadsPerJob(int configured, int cores, int transcribeSlots) {
      return configured > 0 ? configured : Math.max(1, cores / Math.max(1, transcribeSlots));
    }
  }

  /** Default chunking of a transcript's segments, overridable per job. */
  public record Chunking(int maxSeconds, int maxChars, int overlapSeconds) {}

  /** An OpenAI-compatible chat-completions provider for audio_analyze; {@code apiKey} resolved from its env var. */
  public record Provider(String name, String baseUrl, String model, String apiKey) {}

  /**
   * The HTTP API: the single-user API key (null: no key, and the server then listens on loopback only), the owner id
   * single-user mode acts as, request/upload size limits (an upload's form holds at most {@code maxFormParts} parts,
   * its one file part included, whose fields together hold at most {@code maxFormFieldBytes}), how often a /v1
   * request that waits for its job writes a whitespace byte so that proxies keep the connection open
   * ({@code openaiKeepalive}), and the disk space an upload must leave free ({@code uploadDiskReserveBytes}: an upload
   * that would not is refused with 507 before its body is read).
   */
  public record Api(String apiKey, String singleUserId, long maxUploadBytes, long maxBodyBytes, Jwt jwt,
                    RateLimit rateLimit, List<String> corsOrigins, Duration openaiKeepalive, int maxFormParts,
                    int maxFormFieldBytes, long uploadDiskReserveBytes) {
    /** Multi-user mode: callers present a JWT; otherwise single-user mode with the API key. */
    public boolean multiUser() {
      return jwt != null;
    }
  }

  /**
   * Job events over WebSocket and SSE: a subscriber's stream carries a comment (SSE) or ping (WebSocket) every
   * {@code keepalive} so that proxies keep it open and a vanished client is noticed; recorded events are kept for
   * {@code retention}, the longest a reconnecting SSE client can be away and still be given everything it missed.
   */
  public record Events(Duration keepalive, Duration retention) {}

  /** Per-caller token bucket: {@code requestsPerSecond} refill, {@code burst} capacity; 0 turns it off. */
  public record RateLimit(double requestsPerSecond, int burst) {
    public boolean enabled() {
      return requestsPerSecond > 0;
    }
  }

  /**
   * Multi-user mode: HS256 with {@code secret}, or RS256 with a PEM {@code publicKey}; {@code sub} becomes the
   * owner id and {@code roleClaim} (a string or a list) carries {@code admin}.
   */
  public record Jwt(String algorithm, String secret, String publicKey, String issuer, String audience,
                    String roleClaim) {}

  /**
   * Job-end callbacks: the HMAC-SHA256 signing secret (null: deliveries are unsigned), how many attempts a delivery
   * gets, the first retry delay (doubling after each attempt) and the per-attempt timeout.
   */
  public record Webhooks(String secret, int maxAttempts, Duration backoff, Duration timeout) {}

  /**
   * Per-owner limits: the tiers (and the default tier of owners without a stored one), where the active-job and
   * active-stream counters live ({@code redisUrl} null: in this process), how long a counter entry lives without
   * being refreshed, and whether the per-owner gauges carry an {@code owner} label.
   */
  public record Quota(earshot.tiers.Tiers tiers, String redisUrl, Duration counterTtl, boolean ownerLabels) {}

  /**
   * Clustering over Hazelcast through vertx-hazelcast ({@code earshot.cluster}). Off ({@code enabled} false), the
   * event bus is local to the process. {@code members} are the Hazelcast {@code host:port}s to join by TCP/IP (the
   * default; {@code multicast} is opt-in); {@code host}/{@code port} are where this node's Hazelcast listens and
   * {@code publicHost} the address the others should use for it; {@code eventBusHost}/{@code eventBusPort}/
   * {@code eventBusPublicHost} the same for the event bus's own TCP server (port 0: any free port). A member that
   * misses heartbeats for {@code memberTimeout} is dropped; {@code busTimeout} bounds every event-bus request a
   * node makes (on one node too), so a request to a node that died fails within it. {@code configFile} replaces
   * the bundled {@code conf/cluster.xml}; the settings above still apply over it.
   */
  public record Cluster(boolean enabled, String name, List<String> members, boolean multicast, String host, int port,
                        String publicHost, String eventBusHost, int eventBusPort, String eventBusPublicHost,
                        Duration memberTimeout, Duration busTimeout, Path configFile) {}

  /**
   * Where job files live so that every node reaches them ({@code earshot.artifacts}): a directory ({@code dir}:
   * {@code dir}, or {@code data_dir} when null; a shared volume in a cluster) or an S3-compatible bucket ({@code s3});
   * how long a presigned upload URL lives, and the secret that signs the directory store's upload URLs (null: one
   * drawn at start-up, which serves a single API node).
   */
  public record Artifacts(ArtifactStoreKind store, Path dir, S3 s3, Duration uploadUrlTtl, String uploadSecret) {}

  public enum ArtifactStoreKind { DIR, S3 }

  /** An S3-compatible bucket: {@code endpoint} null means AWS's own for the region. */
  public record S3(String endpoint, String bucket, String region, String accessKey, String secretKey,
                   boolean pathStyle) {
    @Override
    public String toString() {
      return "S3[endpoint=" + endpoint + ", bucket=" + bucket + ", region=" + region + ", pathStyle=" + pathStyle + "]";
    }
  }

  public boolean runs(Role role) {
    return roles.contains(role);
  }

  /**
   * Live transcription ({@code earshot.stream}): a stream with neither audio nor a keepalive for {@code idleTimeout}
   * is closed; a decode pass runs every {@code step} of new audio over at most {@code maxWindow} of uncommitted audio
   * (older audio is committed by force); when the audio waiting for inference exceeds {@code maxLag} the socket is
   * paused until inference catches up.
   */
  public record Streaming(Duration idleTimeout, Duration step, Duration maxWindow, Duration maxLag) {}

  /**
   * Metrics: {@code nodeName} is the {@code node} label on every meter this node exports ({@code EARSHOT_NODE_NAME},
   * by default the host name), so one Prometheus tells the nodes of a deployment apart.
   */
  public record Metrics(String nodeName) {}
}
