package earshot.config;

import earshot.config.EarshotConfig.ArtifactStoreKind;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Reads {@code artifacts}: the store switch and, for {@code s3}, every setting the bucket needs. A missing or bad s3
 * setting stops start-up here with one line that names its environment variable, not at the first job.
 */
final class ArtifactSettings {
  private ArtifactSettings() {}

  static EarshotConfig.Artifacts read(ConfigReader r) {
    String kind = r.string("artifacts.store").toLowerCase(Locale.ROOT);
    ArtifactStoreKind store = switch (kind) {
      case "dir" -> ArtifactStoreKind.DIR;
      case "s3" -> ArtifactStoreKind.S3;
      default -> throw new ConfigException("artifacts.store", "must be dir or s3 (EARSHOT_ARTIFACT_STORE), got '"
          + kind + "'");
    };
    String dir = r.optionalString("artifacts.dir");
    Duration ttl = Duration.ofSeconds(r.intIn("artifacts.upload_url_ttl_seconds", 1, 7 * 86_400));
    String secret = r.optionalString("artifacts.upload_secret");
    if (secret != null && secret.length() < 16) {
      throw new ConfigException("artifacts.upload_secret", "must be at least 16 characters (EARSHOT_UPLOAD_SECRET)");
    }
    EarshotConfig.S3 s3 = store == ArtifactStoreKind.S3 ? s3(r) : null;
    return new EarshotConfig.Artifacts(store, dir == null ? null : Path.of(dir), s3, ttl, secret);
  }

  private static EarshotConfig.S3 s3(ConfigReader r) {
    String endpoint = r.optionalString("artifacts.s3.endpoint");
    if (endpoint != null) {
      URI uri;
      try {
        uri = URI.create(endpoint);
      } catch (IllegalArgumentException e) {
        uri = null;
      }
      if (uri == null || uri.getHost() == null
          || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new ConfigException("artifacts.s3.endpoint", "must be an http(s) URL such as http://minio:9000"
            + " (EARSHOT_S3_ENDPOINT), got '" + endpoint + "'");
      }
    }
    String bucket = required(r, "artifacts.s3.bucket", "EARSHOT_S3_BUCKET");
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new ConfigException("artifacts.s3.bucket", "must be an S3 bucket name: 3 to 63 lower-case letters,"
          + " digits, '.' or '-' (EARSHOT_S3_BUCKET), got '" + bucket + "'");
    }
    String region = required(r, "artifacts.s3.region", "EARSHOT_S3_REGION");
    return new EarshotConfig.S3(endpoint, bucket, region,
        required(r, "artifacts.s3.access_key", "EARSHOT_S3_ACCESS_KEY"),
        required(r, "artifacts.s3.secret_key", "EARSHOT_S3_SECRET_KEY"),
        r.bool("artifacts.s3.path_style"));
  }

  private static String required(ConfigReader r, String key, String env) {
    String v = r.optionalString(key);
    if (v == null) {
      throw new ConfigException(key, "is required when EARSHOT_ARTIFACT_STORE=s3 (set " + env + ")");
    }
    return v;
  }
}
