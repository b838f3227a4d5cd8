package earshot.config;

import earshot.tiers.Tier;
import earshot.tiers.Tiers;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds {@link EarshotConfig} from three layers, lowest first: the bundled {@code conf/earshot.json}, an optional
 * {@code --conf FILE}, then environment variables. Validation happens here, once; every error names its key.
 */
public final class ConfigLoader {

  /** Environment variables and the JSON path each one overrides. Names follow the seeds where they exist. */
  static final Map<String, String> ENV_KEYS = EnvKeys.map();

  /**
   * Set by earlier versions, where a /v1 request answered 202 past it; the OpenAI SDKs read that 202 as a transcript
   * without text, so /v1 now waits for the job and silently ignoring the setting would hide the change.
   */
  private static final String SYNC_TIMEOUT_REMOVED = "is removed: /v1 waits for the job however long it takes and"
      + " keeps the connection alive (api.openai_keepalive_seconds); send Prefer: respond-async for a 202 with the job"
      + " (see README, The OpenAI-compatible routes)";

  private ConfigLoader() {}

  /** Every environment variable Earshot reads a setting from (the deployment checks compare compose files with it). */
  public static java.util.Set<String> envNames() {
    return ENV_KEYS.keySet();
  }

  /** Loads from the command line and the process environment. */
  public static EarshotConfig load(String[] args, Map<String, String> env) {
    if (env.containsKey("AUDIO_JOBS_OWNER_LIMIT")) {
      // Set by earlier versions; silently ignoring it would change how many jobs an owner runs.
      throw new ConfigException("AUDIO_JOBS_OWNER_LIMIT", "is replaced by tiers: each tier's concurrent_jobs under"
          + " quota.tiers, and EARSHOT_DEFAULT_TIER for users without one (see README, Tiers and quotas)");
    }
    if (env.containsKey("EARSHOT_SYNC_TIMEOUT_SECONDS")) {
      throw new ConfigException("EARSHOT_SYNC_TIMEOUT_SECONDS", SYNC_TIMEOUT_REMOVED);
    }
    JsonObject merged = defaults();
    Path confFile = confFileArg(args);
    if (confFile != null) {
      deepMerge(merged, readFile(confFile));
    }
    applyEnv(merged, env);
    if (java.util.Arrays.asList(args).contains("--cluster")) {
      merged.getJsonObject("cluster").put("enabled", true);
    }
    return fromJson(merged, env);
  }

  /** The bundled defaults, as JSON, for callers (tests, benchmarks) that layer their own overrides. */
  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream("/conf/earshot.json")) {
      if (in == null) {
        throw new ConfigException("conf/earshot.json", "bundled defaults are missing from the jar");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ConfigException("conf/earshot.json", "cannot read bundled defaults: " + e.getMessage());
    }
  }

  /** Defaults overlaid with {@code overrides}, validated. */
  public static EarshotConfig fromOverrides(JsonObject overrides) {
    JsonObject merged = defaults();
    deepMerge(merged, overrides);
    return fromJson(merged, Map.of());
  }

  static Path confFileArg(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--conf")) {
        if (i + 1 >= args.length) {
          throw new ConfigException("--conf", "expects a file path");
        }
        return Path.of(args[i + 1]);
      }
      if (args[i].startsWith("--conf=")) {
        return Path.of(args[i].substring("--conf=".length()));
      }
    }
    return null;
  }

  private static JsonObject readFile(Path file) {
    try {
      return new JsonObject(Files.readString(file));
    } catch (IOException e) {
      throw new ConfigException("--conf", "cannot read " + file + ": " + e.getMessage());
    } catch (DecodeException e) {
      throw new ConfigException("--conf", file + " is not valid JSON: " + e.getMessage());
    }
  }

  static void applyEnv(JsonObject target, Map<String, String> env) {
    ENV_KEYS.forEach((var, path) -> {
      String value = env.get(var);
      if (value != null && !value.isBlank()) {
        setPath(target, path, value.trim());
      }
    });
  }

  private static void setPath(JsonObject target, String path, Object value) {
    String[] parts = path.split("\\.");
    JsonObject node = target;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject child = node.getJsonObject(parts[i]);
      if (child == null) {
        child = new JsonObject();
        node.put(parts[i], child);
      }
      node = child;
    }
    node.put(parts[parts.length - 1], value);
  }

  static void deepMerge(JsonObject base, JsonObject over) {
    for (String key : over.fieldNames()) {
      Object v = over.getValue(key);
      if (v instanceof JsonObject o && base.getValue(key) instanceof JsonObject b) {
        deepMerge(b, o);
      } else {
        base.put(key, v);
      }
    }
  }

  /** Validates a fully merged JSON tree into typed records; {@code env} resolves providers' API-key variables. */
  public static EarshotConfig fromJson(JsonObject json, Map<String, String> env) {
    ConfigReader r = new ConfigReader(json);
    if (json.getJsonObject("jobs", new JsonObject()).containsKey("owner_concurrent_limit")) {
      throw new ConfigException("jobs.owner_concurrent_limit", "is replaced by tiers: each tier's concurrent_jobs"
          + " under quota.tiers, and quota.default_tier for users without one");
    }
    if (json.getJsonObject("api", new JsonObject()).containsKey("sync_timeout_seconds")) {
      throw new ConfigException("api.sync_timeout_seconds", SYNC_TIMEOUT_REMOVED);
    }
    EarshotConfig.Http http = new EarshotConfig.Http(
        r.string("http.host"), r.intIn("http.port", 0, 65535), r.intIn("http.instances", 0, 256),
        r.seconds("http.idle_timeout_seconds"), r.seconds("http.header_timeout_seconds"),
        r.longIn("http.min_upload_bytes_per_second", 0, 1L << 40), r.seconds("http.min_upload_window_seconds"),
        r.intIn("http.max_connections", 1, 10_000_000));
    String url = r.string("store.url");
    if (!(url.startsWith("sqlite://") || url.startsWith("postgresql://") || url.startsWith("postgres://"))) {
      throw new ConfigException("store.url",
          "must start with sqlite:/// or postgresql:// (set JOBS_DB_URL), got '" + url + "'");
    }
    EarshotConfig.Store store = new EarshotConfig.Store(url, r.intIn("store.pool_size", 1, 256));
    EarshotConfig.Jobs jobs = new EarshotConfig.Jobs(
        r.seconds("jobs.lease_seconds"),
        r.bool("jobs.worker_enabled"),
        r.bool("jobs.owner_strict"),
        r.intIn("jobs.max_retries", 0, 1000),
        Duration.ofMillis(r.intIn("jobs.retry_backoff_ms", 0, Integer.MAX_VALUE)),
        Duration.ofMillis(r.intIn("jobs.retry_backoff_max_ms", 0, Integer.MAX_VALUE)),
        Duration.ofMillis(r.intIn("jobs.poll_interval_ms", 10, 3_600_000)),
        Duration.ofSeconds(r.intIn("jobs.shutdown_grace_seconds", 0, 3600)));
    EarshotConfig.Queues queues = new EarshotConfig.Queues(
        r.queueName("queues.default"), r.queueName("queues.transcribe"), r.stringMap("queues.transcribe_by_model"));
    EarshotConfig.Runners runners = new EarshotConfig.Runners(
        r.intIn("runners.cpu_slots", 1, 256), r.intIn("runners.gpu_slots", 1, 8));
    return new EarshotConfig(Path.of(r.string("data_dir")), r.roles("roles"), http, store, jobs, queues, runners,
        audio(r, runners.gpuSlots(), env), api(r), webhooks(r), quota(r), cluster(r), ArtifactSettings.read(r),
        new EarshotConfig.Streaming(r.seconds("stream.idle_timeout_seconds"),
            Duration.ofMillis(r.intIn("stream.step_ms", 100, 10_000)),
            Duration.ofSeconds(r.intIn("stream.max_window_seconds", 5, 30)),
            Duration.ofSeconds(r.intIn("stream.max_lag_seconds", 1, 600))),
        new EarshotConfig.Events(Duration.ofSeconds(r.intIn("events.keepalive_seconds", 1, 3600)),
            Duration.ofHours(r.intIn("events.retention_hours", 1, 24 * 365))),
        new EarshotConfig.Metrics(NodeName.resolve(r.optionalString("metrics.node_name"), env)));
  }

  private static EarshotConfig.Cluster cluster(ConfigReader r) {
    List<String> members = r.stringList("cluster.members");
    for (String m : members) {
      if (!m.matches("[A-Za-z0-9.:\\[\\]-]+")) {
        throw new ConfigException("cluster.members", "'" + m + "' is not host or host:port (EARSHOT_CLUSTER_MEMBERS"
            + " is a comma-separated list)");
      }
    }
    String file = r.optionalString("cluster.config_file");
    return new EarshotConfig.Cluster(r.bool("cluster.enabled"), r.string("cluster.name"), members,
        r.bool("cluster.multicast"), r.optionalString("cluster.host"), r.intIn("cluster.port", 1, 65535),
        r.optionalString("cluster.public_host"), r.optionalString("cluster.eventbus_host"),
        r.intIn("cluster.eventbus_port", 0, 65535), r.optionalString("cluster.eventbus_public_host"),
        r.seconds("cluster.member_timeout_seconds"), r.seconds("cluster.bus_timeout_seconds"),
        file == null || file.isBlank() ? null : Path.of(file));
  }

  /** Tiers from {@code quota.tiers}; Redis counters when {@code quota.redis_url} is set and use_redis is not false. */
  private static EarshotConfig.Quota quota(ConfigReader r) {
    Object raw = r.raw("quota.tiers");
    if (!(raw instanceof JsonObject all)) {
      throw new ConfigException("quota.tiers", "must be an object of tier name to limits, with at least one tier");
    }
    Map<String, Tier> tiers = new LinkedHashMap<>();
    for (String name : all.fieldNames()) {
      if (all.getValue(name) == null) {
        continue; // a --conf file removes a bundled tier by setting it to null
      }
      String base = "quota.tiers." + name;
      if (!name.matches(Tier.NAME_PATTERN)) {
        throw new ConfigException(base, "tier names must match " + Tier.NAME_PATTERN);
      }
      int concurrentJobs = r.intIn(base + ".concurrent_jobs", 1, 100_000);
      tiers.put(name, new Tier(name, concurrentJobs,
          r.intIn(base + ".concurrent_streams", 0, 100_000),
          r.optionalIntIn(base + ".daily_minutes", 0, 10_000_000),
          r.optionalIntIn(base + ".max_file_minutes", 1, 10_000_000),
          r.optionalIntIn(base + ".max_queued_jobs", 1, 100_000_000),
          java.util.Objects.requireNonNullElse(r.optionalIntIn(base + ".priority_boost", 0, 1000), 0),
          // Without an explicit weight, a tier gets as many owner-strict turns as it may run jobs at once.
          java.util.Objects.requireNonNullElse(r.optionalIntIn(base + ".weight", 1, 1000), concurrentJobs)));
    }
    if (tiers.isEmpty()) {
      throw new ConfigException("quota.tiers", "must name at least one tier");
    }
    String defaultTier = r.string("quota.default_tier");
    if (!tiers.containsKey(defaultTier)) {
      throw new ConfigException("quota.default_tier", "must name one of the tiers " + tiers.keySet()
          + ", got '" + defaultTier + "'");
    }
    String redisUrl = r.optionalString("quota.redis_url");
    if (redisUrl != null && !(redisUrl.startsWith("redis://") || redisUrl.startsWith("rediss://"))) {
      throw new ConfigException("quota.redis_url", "must start with redis:// or rediss:// (set REDIS_URL)");
    }
    // AUDIO_QUOTA_USE_REDIS defaults to true when REDIS_URL is present (seed 000).
    boolean useRedis = r.raw("quota.use_redis") == null || r.bool("quota.use_redis");
    return new EarshotConfig.Quota(new Tiers(defaultTier, tiers), useRedis ? redisUrl : null,
        r.seconds("quota.counter_ttl_seconds"), r.bool("quota.owner_labels"));
  }

  private static EarshotConfig.Webhooks webhooks(ConfigReader r) {
    return new EarshotConfig.Webhooks(r.optionalString("webhooks.secret"),
        r.intIn("webhooks.max_attempts", 1, 100),
        Duration.ofMillis(r.intIn("webhooks.backoff_ms", 1, 3_600_000)),
        Duration.ofMillis(r.intIn("webhooks.timeout_ms", 1, 600_000)));
  }

  /** Host names, IP literals or CIDRs; a malformed address or prefix stops start-up here, not on the first job. */
  static List<String> allowPrivate(List<String> entries) {
    String key = "audio.download.allow_private";
    for (String entry : entries) {
      String address = entry;
      int slash = entry.indexOf('/');
      if (slash >= 0) {
        address = entry.substring(0, slash);
        String prefix = entry.substring(slash + 1);
        int max = address.contains(":") ? 128 : 32;
        if (!prefix.matches("\\d{1,3}") || Integer.parseInt(prefix) > max) {
          throw new ConfigException(key, "'" + entry + "' has a bad prefix length (0 to " + max + ")");
        }
      }
      boolean literal = address.contains(":") || address.matches("[0-9.]+");
      if (literal) {
        if (!(address.matches("[0-9a-fA-F:.]+") && isLiteral(address))) {
          throw new ConfigException(key, "'" + entry + "' is not an IP address or CIDR");
        }
      } else if (slash >= 0 || !address.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
        throw new ConfigException(key, "'" + entry + "' is not a host name, IP address or CIDR");
      }
    }
    return entries;
  }

  private static boolean isLiteral(String address) {
    try {
      // Only literals reach here (digits, dots, colons), so this never does a DNS lookup.
      java.net.InetAddress.getByName(address.contains(":") ? "[" + address + "]" : address);
      return address.contains(":") || address.split("\\.").length == 4;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static EarshotConfig.Api api(ConfigReader r) {
    Object key = r.raw("api.key");
    String apiKey = key instanceof String s && !s.isBlank() ? s : null;
    if (key != null && !(key instanceof String)) {
      throw new ConfigException("api.key", "must be a string");
    }
    if (apiKey != null && apiKey.length() < 16) {
      throw new ConfigException("api.key", "must be at least 16 characters");
    }
    return new EarshotConfig.Api(apiKey, r.string("api.single_user_id"),
        r.longIn("api.max_upload_bytes", 1, Long.MAX_VALUE), r.longIn("api.max_body_bytes", 1, 64L << 20), jwt(r),
        new EarshotConfig.RateLimit(r.nonNegative("api.rate_limit.requests_per_second"),
            r.intIn("api.rate_limit.burst", 1, 1_000_000)),
        r.stringList("api.cors_origins"),
        Duration.ofSeconds(r.intIn("api.openai_keepalive_seconds", 1, 3600)),
        r.intIn("api.max_form_parts", 1, 10_000), r.intIn("api.max_form_field_bytes", 1, 16 << 20),
        r.longIn("api.upload_disk_reserve_bytes", 0, Long.MAX_VALUE));
  }

  private static EarshotConfig.Jwt jwt(ConfigReader r) {
    String algorithm = r.optionalString("api.jwt.algorithm");
    if (algorithm == null) {
      return null;
    }
    String secret = r.optionalString("api.jwt.secret");
    String publicKey = r.optionalString("api.jwt.public_key");
    switch (algorithm) {
      case "HS256" -> {
        if (secret == null || secret.length() < 32) {
          throw new ConfigException("api.jwt.secret", "HS256 needs a secret of at least 32 characters");
        }
      }
      case "RS256" -> {
        if (publicKey == null || !publicKey.contains("BEGIN PUBLIC KEY")) {
          throw new ConfigException("api.jwt.public_key", "RS256 needs a PEM public key (-----BEGIN PUBLIC KEY-----)");
        }
      }
      default -> throw new ConfigException("api.jwt.algorithm", "must be HS256 or RS256, got '" + algorithm + "'");
    }
    return new EarshotConfig.Jwt(algorithm, secret, publicKey, r.optionalString("api.jwt.issuer"),
        r.optionalString("api.jwt.audience"), r.string("api.jwt.role_claim"));
  }

  private static EarshotConfig.Audio audio(ConfigReader r, int gpuSlots, Map<String, String> env) {
    EarshotConfig.Download download = new EarshotConfig.Download(
        r.longIn("audio.download.max_bytes", 1, Long.MAX_VALUE),
        Duration.ofMillis(r.intIn("audio.download.connect_timeout_ms", 1, 600_000)),
        Duration.ofMillis(r.intIn("audio.download.idle_timeout_ms", 1, 3_600_000)),
        r.intIn("audio.download.max_redirects", 0, 20),
        allowPrivate(r.stringList("audio.download.allow_private")));
    EarshotConfig.Whisper whisper = WhisperSettings.read(r, gpuSlots);
    EarshotConfig.Chunking chunking = new EarshotConfig.Chunking(
        r.intIn("audio.chunking.max_seconds", 1, 86_400),
        r.intIn("audio.chunking.max_chars", 1, 1_000_000),
        r.intIn("audio.chunking.overlap_seconds", 0, 3600));
    java.util.List<Path> roots = new java.util.ArrayList<>();
    for (String root : r.stringList("audio.allowed_roots")) {
      Path p = Path.of(root);
      if (!p.isAbsolute()) {
        throw new ConfigException("audio.allowed_roots", "must be absolute paths, got '" + root + "'");
      }
      roots.add(p.normalize());
    }
    Map<String, EarshotConfig.Provider> providers = new LinkedHashMap<>();
    Object raw = r.raw("audio.providers");
    if (!(raw instanceof JsonObject all)) {
      throw new ConfigException("audio.providers", "must be an object of provider name to settings");
    }
    for (String name : all.fieldNames()) {
      String base = "audio.providers." + name;
      String keyEnv = all.getJsonObject(name, new JsonObject()).getString("api_key_env");
      String key = keyEnv == null ? null : env.get(keyEnv);
      providers.put(name, new EarshotConfig.Provider(name, r.string(base + ".base_url"), r.string(base + ".model"), key));
    }
    return new EarshotConfig.Audio(Path.of(r.string("audio.models_dir")), r.string("audio.default_model"),
        List.copyOf(roots), download, whisper, chunking, Map.copyOf(providers));
  }
}
