package earshot.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every environment variable Earshot reads and the configuration key it sets ({@link ConfigLoader} applies them over
 * the bundled defaults and {@code --conf}). Names follow the seeds where they exist.
 */
final class EnvKeys {
  private EnvKeys() {}

  static Map<String, String> map() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("EARSHOT_DATA_DIR", "data_dir");
    m.put("EARSHOT_ROLES", "roles");
    m.put("EARSHOT_HTTP_HOST", "http.host");
    m.put("EARSHOT_HTTP_PORT", "http.port");
    m.put("EARSHOT_HTTP_INSTANCES", "http.instances");
    m.put("EARSHOT_HTTP_IDLE_TIMEOUT_SECONDS", "http.idle_timeout_seconds");
    m.put("EARSHOT_HTTP_HEADER_TIMEOUT_SECONDS", "http.header_timeout_seconds");
    m.put("EARSHOT_HTTP_MIN_UPLOAD_BYTES_PER_SECOND", "http.min_upload_bytes_per_second");
    m.put("EARSHOT_HTTP_MAX_CONNECTIONS", "http.max_connections");
    m.put("EARSHOT_STREAM_IDLE_TIMEOUT_SECONDS", "stream.idle_timeout_seconds");
    m.put("EARSHOT_STREAM_STEP_MS", "stream.step_ms");
    m.put("EARSHOT_STREAM_MAX_WINDOW_SECONDS", "stream.max_window_seconds");
    m.put("EARSHOT_STREAM_MAX_LAG_SECONDS", "stream.max_lag_seconds");
    m.put("JOBS_DB_URL", "store.url");
    m.put("JOBS_DB_POOL_SIZE", "store.pool_size");
    m.put("JOBS_LEASE_SECONDS", "jobs.lease_seconds");
    m.put("AUDIO_JOBS_WORKER_ENABLED", "jobs.worker_enabled");
    m.put("AUDIO_JOBS_OWNER_STRICT", "jobs.owner_strict");
    m.put("JOBS_MAX_RETRIES", "jobs.max_retries");
    m.put("JOBS_POLL_INTERVAL_MS", "jobs.poll_interval_ms");
    m.put("JOBS_SHUTDOWN_GRACE_SECONDS", "jobs.shutdown_grace_seconds");
    m.put("EARSHOT_CPU_SLOTS", "runners.cpu_slots");
    m.put("EARSHOT_GPU_SLOTS", "runners.gpu_slots");
    m.put("EARSHOT_MODELS_DIR", "audio.models_dir");
    m.put("EARSHOT_DEFAULT_MODEL", "audio.default_model");
    m.put("EARSHOT_ALLOWED_ROOTS", "audio.allowed_roots");
    m.put("EARSHOT_DOWNLOAD_MAX_BYTES", "audio.download.max_bytes");
    m.put("EARSHOT_DOWNLOAD_ALLOW_PRIVATE", "audio.download.allow_private");
    m.put("WHISPER_THREADS", "audio.whisper.threads");
    m.put("WHISPER_BEAM_SIZE", "audio.whisper.beam_size");
    m.put("WHISPER_BEST_OF", "audio.whisper.best_of");
    m.put("WHISPER_TEMPERATURE", "audio.whisper.temperature");
    m.put("WHISPER_TEMPERATURE_INC", "audio.whisper.temperature_inc");
    m.put("WHISPER_LIBRARY_DIR", "audio.whisper.library_dir");
    m.put("EARSHOT_API_KEY", "api.key");
    m.put("EARSHOT_MAX_UPLOAD_BYTES", "api.max_upload_bytes");
    m.put("EARSHOT_MAX_FORM_PARTS", "api.max_form_parts");
    m.put("EARSHOT_MAX_FORM_FIELD_BYTES", "api.max_form_field_bytes");
    m.put("EARSHOT_UPLOAD_DISK_RESERVE_BYTES", "api.upload_disk_reserve_bytes");
    m.put("EARSHOT_RATE_LIMIT_RPS", "api.rate_limit.requests_per_second");
    m.put("EARSHOT_RATE_LIMIT_BURST", "api.rate_limit.burst");
    m.put("EARSHOT_CORS_ORIGINS", "api.cors_origins");
    m.put("EARSHOT_OPENAI_KEEPALIVE_SECONDS", "api.openai_keepalive_seconds");
    m.put("EARSHOT_EVENTS_KEEPALIVE_SECONDS", "events.keepalive_seconds");
    m.put("EARSHOT_EVENTS_RETENTION_HOURS", "events.retention_hours");
    m.put("EARSHOT_JWT_ALGORITHM", "api.jwt.algorithm");
    m.put("EARSHOT_JWT_SECRET", "api.jwt.secret");
    m.put("EARSHOT_JWT_PUBLIC_KEY", "api.jwt.public_key");
    m.put("EARSHOT_JWT_ISSUER", "api.jwt.issuer");
    m.put("EARSHOT_JWT_AUDIENCE", "api.jwt.audience");
    m.put("EARSHOT_WEBHOOK_SECRET", "webhooks.secret");
    m.put("EARSHOT_DEFAULT_TIER", "quota.default_tier");
    m.put("REDIS_URL", "quota.redis_url");
    m.put("AUDIO_QUOTA_USE_REDIS", "quota.use_redis");
    m.put("AUDIO_QUOTA_COUNTER_TTL_SECONDS", "quota.counter_ttl_seconds");
    m.put("EARSHOT_METRICS_OWNER_LABELS", "quota.owner_labels");
    m.put("EARSHOT_CLUSTER", "cluster.enabled");
    m.put("EARSHOT_CLUSTER_NAME", "cluster.name");
    m.put("EARSHOT_CLUSTER_MEMBERS", "cluster.members");
    m.put("EARSHOT_CLUSTER_MULTICAST", "cluster.multicast");
    m.put("EARSHOT_CLUSTER_HOST", "cluster.host");
    m.put("EARSHOT_CLUSTER_PORT", "cluster.port");
    m.put("EARSHOT_CLUSTER_PUBLIC_HOST", "cluster.public_host");
    m.put("EARSHOT_EVENTBUS_HOST", "cluster.eventbus_host");
    m.put("EARSHOT_EVENTBUS_PORT", "cluster.eventbus_port");
    m.put("EARSHOT_EVENTBUS_PUBLIC_HOST", "cluster.eventbus_public_host");
    m.put("EARSHOT_CLUSTER_MEMBER_TIMEOUT_SECONDS", "cluster.member_timeout_seconds");
    m.put("EARSHOT_CLUSTER_CONFIG", "cluster.config_file");
    m.put("EARSHOT_BUS_TIMEOUT_SECONDS", "cluster.bus_timeout_seconds");
    m.put("EARSHOT_ARTIFACT_STORE", "artifacts.store");
    m.put("EARSHOT_ARTIFACT_DIR", "artifacts.dir");
    m.put("EARSHOT_UPLOAD_URL_TTL_SECONDS", "artifacts.upload_url_ttl_seconds");
    m.put("EARSHOT_UPLOAD_SECRET", "artifacts.upload_secret");
    m.put("EARSHOT_S3_ENDPOINT", "artifacts.s3.endpoint");
    m.put("EARSHOT_S3_BUCKET", "artifacts.s3.bucket");
    m.put("EARSHOT_S3_REGION", "artifacts.s3.region");
    m.put("EARSHOT_S3_ACCESS_KEY", "artifacts.s3.access_key");
    m.put("EARSHOT_S3_SECRET_KEY", "artifacts.s3.secret_key");
    m.put("EARSHOT_S3_PATH_STYLE", "artifacts.s3.path_style");
    m.put("EARSHOT_NODE_NAME", "metrics.node_name");
    return Map.copyOf(m);
  }
}
