package earshot.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.transcribe.WhisperEngine.Sampling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir
  Path dir;

  @Test
  void embeddedDefaultsRunEverythingOnSqlite() {
    EarshotConfig c = ConfigLoader.load(new String[0], Map.of());
    assertEquals(Set.of(EarshotConfig.Role.values()), c.roles());
    assertFalse(c.store().isPostgres());
    assertEquals(Path.of("./data/earshot.db"), c.store().sqlitePath());
    assertEquals(8080, c.http().port());
    assertEquals(Duration.ofSeconds(120), c.jobs().lease());
    assertEquals(Duration.ofSeconds(40), c.jobs().heartbeatInterval());
    assertTrue(c.jobs().workerEnabled());
    assertFalse(c.jobs().ownerStrict());
    assertEquals("transcribe", c.queues().transcribeQueue());
  }

  @Test
  void confFileOverridesDefaultsAndEnvironmentOverridesBoth() throws Exception {
    Path file = dir.resolve("earshot.json");
    Files.writeString(file, """
        {"jobs": {"lease_seconds": 60, "owner_strict": true},
         "queues": {"transcribe_by_model": {"large-v3": "transcribe-large"}},
         "http": {"port": 9000}}""");
    EarshotConfig c = ConfigLoader.load(new String[] {"--conf", file.toString()},
        Map.of("JOBS_LEASE_SECONDS", "30", "JOBS_DB_URL", "postgresql://u:p@db:5432/earshot",
            "AUDIO_JOBS_WORKER_ENABLED", "false", "EARSHOT_ROLES", "api,scheduler"));
    assertEquals(Duration.ofSeconds(30), c.jobs().lease(), "env beats the file");
    assertTrue(c.jobs().ownerStrict(), "the file beats the defaults");
    assertEquals(9000, c.http().port());
    assertTrue(c.store().isPostgres());
    assertFalse(c.jobs().workerEnabled());
    assertEquals(Set.of(EarshotConfig.Role.API, EarshotConfig.Role.SCHEDULER), c.roles());
    assertEquals("transcribe-large", c.queues().transcribeByModel().get("large-v3"));
    assertEquals(java.util.List.of("transcribe", "transcribe-large"), c.queues().transcribeQueues());
  }

  @Test
  void uploadDiskReserveDefaultsTo256MiBAndComesFromTheEnvironment() {
    assertEquals(256L << 20, ConfigLoader.load(new String[0], Map.of()).api().uploadDiskReserveBytes());
    assertEquals(0, ConfigLoader.load(new String[0], Map.of("EARSHOT_UPLOAD_DISK_RESERVE_BYTES", "0"))
        .api().uploadDiskReserveBytes());
    assertKey("api.upload_disk_reserve_bytes", Map.of("EARSHOT_UPLOAD_DISK_RESERVE_BYTES", "-1"));
  }

  @Test
  void whisperLibraryDirDefaultsToTheBundledBuildAndMustHoldTheLibrary() throws Exception {
    assertNull(ConfigLoader.load(new String[0], Map.of()).audio().whisper().libraryDir());
    Path cuda = Files.createDirectories(dir.resolve("whisper-cuda"));
    Files.writeString(cuda.resolve("libwhisper.so.1"), "stand-in");
    EarshotConfig c = ConfigLoader.load(new String[0], Map.of("WHISPER_LIBRARY_DIR", cuda.toString()));
    assertEquals(cuda.toAbsolutePath().normalize(), c.audio().whisper().libraryDir());
    assertKey("audio.whisper.library_dir", Map.of("WHISPER_LIBRARY_DIR", dir.resolve("nowhere").toString()));
  }

  @Test
  void whisperDecodingDefaultsAreWhisperCppsUnlessSetAndTheEnvironmentSetsThem() {
    EarshotConfig.Whisper bundled = ConfigLoader.load(new String[0], Map.of()).audio().whisper();
    assertEquals(new Sampling(1, null, null, null), bundled.sampling(), "greedy; the rest whisper.cpp's own");
    EarshotConfig.Whisper set = ConfigLoader.load(new String[0], Map.of("WHISPER_BEAM_SIZE", "5",
        "WHISPER_BEST_OF", "3", "WHISPER_TEMPERATURE", "0.1", "WHISPER_TEMPERATURE_INC", "0")).audio().whisper();
    assertEquals(new Sampling(5, 3, 0.1f, 0f), set.sampling());
    assertKey("audio.whisper.beam_size", Map.of("WHISPER_BEAM_SIZE", "9"));
    assertKey("audio.whisper.beam_size", Map.of("WHISPER_BEAM_SIZE", "0"));
    assertKey("audio.whisper.best_of", Map.of("WHISPER_BEST_OF", "9"));
    assertKey("audio.whisper.best_of", Map.of("WHISPER_BEST_OF", "two"));
    assertKey("audio.whisper.temperature", Map.of("WHISPER_TEMPERATURE", "1.5"));
    assertKey("audio.whisper.temperature_inc", Map.of("WHISPER_TEMPERATURE_INC", "-0.2"));
    assertKey("audio.whisper.temperature_inc", Map.of("WHISPER_TEMPERATURE_INC", "lots"));
  }

  @Test
  void whisperThreadsDefaultToTheCoresSharedAmongTheTranscribeSlots() {
    int cores = Runtime.getRuntime().availableProcessors();
    assertEquals(cores, ConfigLoader.load(new String[0], Map.of()).audio().whisper().threads(), "one slot");
    assertEquals(Math.max(1, cores / 2), ConfigLoader.load(new String[0], Map.of("EARSHOT_GPU_SLOTS", "2"))
        .audio().whisper().threads());
    assertEquals(3, ConfigLoader.load(new String[0], Map.of("EARSHOT_GPU_SLOTS", "2", "WHISPER_THREADS", "3"))
        .audio().whisper().threads(), "a configured count is kept");
    assertEquals(8, EarshotConfig.Whisper.threadsPerJob(0, 16, 2));
    assertEquals(5, EarshotConfig.Whisper.threadsPerJob(0, 16, 3));
    assertEquals(1, EarshotConfig.Whisper.threadsPerJob(0, 2, 4), "never fewer than one");
    assertEquals(6, EarshotConfig.Whisper.threadsPerJob(6, 2, 4));
    assertKey("audio.whisper.threads", Map.of("WHISPER_THREADS", "-1"));
  }

  @Test
  void sqliteUrlsResolveAbsoluteAndRelativePaths() {
    EarshotConfig abs = ConfigLoader.load(new String[0], Map.of("JOBS_DB_URL", "sqlite:///var/lib/earshot/jobs.db"));
    assertEquals(Path.of("/var/lib/earshot/jobs.db"), abs.store().sqlitePath());
    EarshotConfig rel = ConfigLoader.load(new String[0], Map.of("JOBS_DB_URL", "sqlite:///./Databases/jobs.db"));
    assertEquals(Path.of("./Databases/jobs.db"), rel.store().sqlitePath());
  }

  @Test
  void everyInvalidValueNamesItsKey() {
    assertKey("jobs.lease_seconds", Map.of("JOBS_LEASE_SECONDS", "abc"));
    assertKey("jobs.lease_seconds", Map.of("JOBS_LEASE_SECONDS", "0"));
    assertKey("jobs.worker_enabled", Map.of("AUDIO_JOBS_WORKER_ENABLED", "maybe"));
    assertKey("jobs.owner_strict", Map.of("AUDIO_JOBS_OWNER_STRICT", "2"));
    assertKey("store.url", Map.of("JOBS_DB_URL", "mysql://localhost/jobs"));
    assertKey("http.port", Map.of("EARSHOT_HTTP_PORT", "70000"));
    assertKey("roles", Map.of("EARSHOT_ROLES", "api,tpu"));
    assertKey("audio.download.allow_private", Map.of("EARSHOT_DOWNLOAD_ALLOW_PRIVATE", "10.0.0.0/40"));
    assertKey("audio.download.allow_private", Map.of("EARSHOT_DOWNLOAD_ALLOW_PRIVATE", "300.1.1.1"));
    assertKey("audio.download.allow_private", Map.of("EARSHOT_DOWNLOAD_ALLOW_PRIVATE", "bad host!"));
    assertEquals(List.of("127.0.0.1/32", "fd00::/8", "media.internal"), ConfigLoader.load(new String[0],
        Map.of("EARSHOT_DOWNLOAD_ALLOW_PRIVATE", "127.0.0.1/32,fd00::/8,media.internal")).audio().download().allowPrivate());
  }

  @Test
  void httpTimeoutsAndTheConnectionCapHaveBoundedDefaultsAndAreValidated() {
    EarshotConfig.Http http = ConfigLoader.load(new String[0], Map.of()).http();
    assertEquals(Duration.ofSeconds(60), http.idleTimeout());
    assertEquals(Duration.ofSeconds(30), http.headerTimeout());
    assertEquals(1024, http.minUploadBytesPerSecond());
    assertEquals(Duration.ofSeconds(30), http.minUploadWindow());
    assertEquals(10_000, http.maxConnections());
    EarshotConfig.Http set = ConfigLoader.load(new String[0], Map.of("EARSHOT_HTTP_IDLE_TIMEOUT_SECONDS", "15",
        "EARSHOT_HTTP_HEADER_TIMEOUT_SECONDS", "0.5", "EARSHOT_HTTP_MIN_UPLOAD_BYTES_PER_SECOND", "0",
        "EARSHOT_HTTP_MAX_CONNECTIONS", "500")).http();
    assertEquals(Duration.ofSeconds(15), set.idleTimeout());
    assertEquals(Duration.ofMillis(500), set.headerTimeout());
    assertEquals(0, set.minUploadBytesPerSecond(), "0 turns the rate floor off");
    assertEquals(500, set.maxConnections());
    assertKey("http.idle_timeout_seconds", Map.of("EARSHOT_HTTP_IDLE_TIMEOUT_SECONDS", "0"));
    assertKey("http.header_timeout_seconds", Map.of("EARSHOT_HTTP_HEADER_TIMEOUT_SECONDS", "soon"));
    assertKey("http.min_upload_bytes_per_second", Map.of("EARSHOT_HTTP_MIN_UPLOAD_BYTES_PER_SECOND", "-1"));
    assertKey("http.max_connections", Map.of("EARSHOT_HTTP_MAX_CONNECTIONS", "0"));
  }

  @Test
  void tiersRedisAndOwnerLabelsComeFromConfigAndEnvironment() throws Exception {
    EarshotConfig defaults = ConfigLoader.load(new String[0], Map.of());
    assertEquals("standard", defaults.quota().tiers().defaultTier());
    assertEquals(1, defaults.quota().tiers().resolve(null).concurrentJobs());
    assertEquals(3, defaults.quota().tiers().resolve("premium").concurrentJobs());
    assertEquals(3, defaults.quota().tiers().resolve("premium").weight());
    assertEquals(1, defaults.quota().tiers().resolve("no-such-tier").concurrentJobs(), "unknown: the default tier");
    assertNull(defaults.quota().redisUrl());
    assertEquals(java.time.Duration.ofSeconds(120), defaults.quota().counterTtl());
    assertTrue(defaults.quota().ownerLabels());

    EarshotConfig env = ConfigLoader.load(new String[0], Map.of("REDIS_URL", "redis://cache:6379",
        "EARSHOT_DEFAULT_TIER", "premium", "EARSHOT_METRICS_OWNER_LABELS", "false",
        "AUDIO_QUOTA_COUNTER_TTL_SECONDS", "30"));
    assertEquals("redis://cache:6379", env.quota().redisUrl(), "REDIS_URL alone turns Redis counters on");
    assertEquals("premium", env.quota().tiers().defaultTier());
    assertFalse(env.quota().ownerLabels());
    assertEquals(java.time.Duration.ofSeconds(30), env.quota().counterTtl());
    assertNull(ConfigLoader.load(new String[0], Map.of("REDIS_URL", "redis://cache:6379",
        "AUDIO_QUOTA_USE_REDIS", "false")).quota().redisUrl(), "AUDIO_QUOTA_USE_REDIS=false keeps them in-process");

    Path conf = dir.resolve("tiers.json");
    Files.writeString(conf, """
        {"quota": {"default_tier": "team", "tiers": {"team": {"concurrent_jobs": 4, "concurrent_streams": 2,
          "daily_minutes": null, "max_queued_jobs": 50}, "free": null}}}""");
    var team = ConfigLoader.load(new String[] {"--conf", conf.toString()}, Map.of()).quota().tiers().resolve(null);
    assertEquals(java.util.Set.of("team", "standard", "premium"), ConfigLoader.load(new String[] {"--conf",
        conf.toString()}, Map.of()).quota().tiers().byName().keySet(), "bundled tiers stay unless set to null");
    assertEquals(4, team.concurrentJobs());
    assertEquals(4, team.weight(), "the weight defaults to concurrent_jobs");
    assertNull(team.dailyMinutes(), "null: unlimited");
    assertEquals(50, team.maxQueuedJobs());

    assertKey("quota.default_tier", Map.of("EARSHOT_DEFAULT_TIER", "gold"));
    assertKey("AUDIO_JOBS_OWNER_LIMIT", Map.of("AUDIO_JOBS_OWNER_LIMIT", "2"));
    assertKey("quota.redis_url", Map.of("REDIS_URL", "localhost:6379"));
    assertKey("quota.use_redis", Map.of("REDIS_URL", "redis://cache:6379", "AUDIO_QUOTA_USE_REDIS", "sometimes"));
    Path bad = dir.resolve("bad-tier.json");
    Files.writeString(bad, "{\"quota\": {\"tiers\": {\"Gold Plan\": {\"concurrent_jobs\": 1}}}}");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new String[] {"--conf", bad.toString()}, Map.of()));
    assertEquals("quota.tiers.Gold Plan", e.key());
    Files.writeString(bad, "{\"quota\": {\"tiers\": {\"standard\": {\"concurrent_jobs\": 0}}}}");
    assertEquals("quota.tiers.standard.concurrent_jobs", assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new String[] {"--conf", bad.toString()}, Map.of())).key());
  }

  @Test
  void uploadFormLimitsComeFromConfigAndEnvironment() {
    EarshotConfig.Api defaults = ConfigLoader.load(new String[0], Map.of()).api();
    assertEquals(64, defaults.maxFormParts());
    assertEquals(64 * 1024, defaults.maxFormFieldBytes());
    EarshotConfig.Api env = ConfigLoader.load(new String[0],
        Map.of("EARSHOT_MAX_FORM_PARTS", "10", "EARSHOT_MAX_FORM_FIELD_BYTES", "1024")).api();
    assertEquals(10, env.maxFormParts());
    assertEquals(1024, env.maxFormFieldBytes());
    assertKey("api.max_form_parts", Map.of("EARSHOT_MAX_FORM_PARTS", "0"));
    assertKey("api.max_form_field_bytes", Map.of("EARSHOT_MAX_FORM_FIELD_BYTES", "lots"));
  }

  @Test
  void unreadableOrMalformedConfFileIsReported() throws Exception {
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{ not json");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new String[] {"--conf", bad.toString()}, Map.of()));
    assertEquals("--conf", e.key());
    ConfigException missing = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new String[] {"--conf", dir.resolve("nope.json").toString()}, Map.of()));
    assertTrue(missing.getMessage().startsWith("--conf: cannot read"), missing.getMessage());
  }

  @Test
  void theOpenAiKeepAliveIsConfigurableAndTheRemovedSyncTimeoutStopsStartUp() throws Exception {
    assertEquals(Duration.ofSeconds(10), ConfigLoader.load(new String[0], Map.of()).api().openaiKeepalive());
    assertEquals(Duration.ofSeconds(3), ConfigLoader.load(new String[0],
        Map.of("EARSHOT_OPENAI_KEEPALIVE_SECONDS", "3")).api().openaiKeepalive());
    assertKey("api.openai_keepalive_seconds", Map.of("EARSHOT_OPENAI_KEEPALIVE_SECONDS", "0"));
    assertKey("EARSHOT_SYNC_TIMEOUT_SECONDS", Map.of("EARSHOT_SYNC_TIMEOUT_SECONDS", "300"));
    Path old = dir.resolve("old.json");
    Files.writeString(old, "{\"api\": {\"sync_timeout_seconds\": 300}}");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new String[] {"--conf", old.toString()}, Map.of()));
    assertEquals("api.sync_timeout_seconds", e.key());
    assertTrue(e.getMessage().contains("README"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line");
  }

  @Test
  void theArtifactStoreIsADirectoryByDefaultAndS3FromTheEnvironment() {
    EarshotConfig.Artifacts dir = ConfigLoader.load(new String[0], Map.of()).artifacts();
    assertEquals(EarshotConfig.ArtifactStoreKind.DIR, dir.store());
    assertEquals(null, dir.dir(), "data_dir");
    assertEquals(null, dir.s3());
    assertEquals(java.time.Duration.ofMinutes(15), dir.uploadUrlTtl());
    Map<String, String> s3 = Map.of("EARSHOT_ARTIFACT_STORE", "s3", "EARSHOT_S3_ENDPOINT", "http://minio:9000",
        "EARSHOT_S3_BUCKET", "earshot-jobs", "EARSHOT_S3_REGION", "eu-west-3", "EARSHOT_S3_ACCESS_KEY", "ak",
        "EARSHOT_S3_SECRET_KEY", "sk", "EARSHOT_S3_PATH_STYLE", "false", "EARSHOT_UPLOAD_URL_TTL_SECONDS", "60");
    EarshotConfig.Artifacts a = ConfigLoader.load(new String[0], s3).artifacts();
    assertEquals(EarshotConfig.ArtifactStoreKind.S3, a.store());
    assertEquals(new EarshotConfig.S3("http://minio:9000", "earshot-jobs", "eu-west-3", "ak", "sk", false), a.s3());
    assertEquals(java.time.Duration.ofSeconds(60), a.uploadUrlTtl());
    assertFalse(a.s3().toString().contains("sk"), "the secret stays out of logs");
    assertEquals(java.nio.file.Path.of("/mnt/shared"),
        ConfigLoader.load(new String[0], Map.of("EARSHOT_ARTIFACT_DIR", "/mnt/shared")).artifacts().dir());
  }

  @Test
  void aMissingOrBadS3SettingStopsStartUpWithOneLineNamingIt() {
    Map<String, String> good = Map.of("EARSHOT_ARTIFACT_STORE", "s3", "EARSHOT_S3_BUCKET", "earshot-jobs",
        "EARSHOT_S3_ACCESS_KEY", "ak", "EARSHOT_S3_SECRET_KEY", "sk");
    assertEquals(null, ConfigLoader.load(new String[0], good).artifacts().s3().endpoint(), "AWS itself");
    assertKey("artifacts.store", Map.of("EARSHOT_ARTIFACT_STORE", "ftp"));
    for (String required : List.of("EARSHOT_S3_BUCKET", "EARSHOT_S3_ACCESS_KEY", "EARSHOT_S3_SECRET_KEY")) {
      Map<String, String> env = new java.util.HashMap<>(good);
      env.remove(required);
      ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(new String[0], env));
      assertTrue(e.getMessage().contains(required) && !e.getMessage().contains("\n"), e.getMessage());
    }
    Map<String, String> badBucket = new java.util.HashMap<>(good);
    badBucket.put("EARSHOT_S3_BUCKET", "Not_A_Bucket");
    assertKey("artifacts.s3.bucket", badBucket);
    Map<String, String> badEndpoint = new java.util.HashMap<>(good);
    badEndpoint.put("EARSHOT_S3_ENDPOINT", "minio:9000");
    assertKey("artifacts.s3.endpoint", badEndpoint);
    assertKey("artifacts.upload_secret", Map.of("EARSHOT_UPLOAD_SECRET", "short"));
    assertKey("artifacts.upload_url_ttl_seconds", Map.of("EARSHOT_UPLOAD_URL_TTL_SECONDS", "0"));
  }

  private static void assertKey(String key, Map<String, String> env) {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(new String[0], env));
    assertEquals(key, e.key());
    assertTrue(e.getMessage().startsWith(key + ": "), e.getMessage());
  }
}
