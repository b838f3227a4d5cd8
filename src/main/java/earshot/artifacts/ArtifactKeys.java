package earshot.artifacts;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The object keys of the artifact store, in one place, and the one check every key passes before a store touches
 * it. A key is a relative path of segments of letters, digits, {@code . _ -}; no empty, {@code .} or {@code ..}
 * segment, no leading {@code /}, no backslash: so a key can never leave the store's directory.
 *
 * <ul>
 *   <li>{@code jobs/<uuid>/upload.<ext>}: a job's uploaded input, kept until the job completes (a failed or cancelled
 *       job can be retried);
 *   <li>{@code jobs/<uuid>/source<.ext>}: what audio_download fetched; {@code jobs/<uuid>/audio.pcm}: what
 *       audio_convert decoded; both deleted when the job ends however it ends;
 *   <li>{@code results/<uuid>/<file>}: the result files audio_store writes;
 *   <li>{@code uploads/<owner>/<expiry>-<id><.ext>}: a presigned upload, under its owner's prefix (a hash of the
 *       owner id, so that any owner id makes a safe key), with the epoch second its URL expires.
 * </ul>
 */
public final class ArtifactKeys {
  private ArtifactKeys() {}

  public static final String JOBS = "jobs/";
  public static final String RESULTS = "results/";
  public static final String UPLOADS = "uploads/";
  public static final String UPLOAD_PREFIX = "upload";
  public static final String PCM = "audio.pcm";

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern UUID_LIKE = Pattern.compile("[A-Za-z0-9-]{1,64}");
  private static final Pattern EXT = Pattern.compile("\\.[a-z0-9]{1,5}");
  private static final Pattern STAGED = Pattern.compile("uploads/([A-Za-z0-9_-]{22})/(\\d{1,12})-([0-9a-f]{32})(\\.[a-z0-9]{1,5})?");

  /** Returns {@code key} when it is a well-formed key; otherwise throws IllegalArgumentException. */
  public static String check(String key) {
    if (key == null || key.isEmpty() || key.length() > 512) {
      throw new IllegalArgumentException("an object key must be 1 to 512 characters");
    }
    for (String segment : key.split("/", -1)) {
      if (!SEGMENT.matcher(segment).matches() || segment.contains("..")) {
        throw new IllegalArgumentException("not an object key: segments are letters, digits and . _ - (no '..',"
            + " no empty segment, no leading '/')");
      }
    }
    return key;
  }

  /** Returns {@code prefix} when it is a well-formed prefix: a key followed by {@code /}. */
  public static String checkPrefix(String prefix) {
    if (prefix == null || !prefix.endsWith("/")) {
      throw new IllegalArgumentException("an object prefix must end with '/'");
    }
    check(prefix.substring(0, prefix.length() - 1));
    return prefix;
  }

  public static String jobPrefix(String jobUuid) {
    return JOBS + uuid(jobUuid) + "/";
  }

  public static String resultsPrefix(String jobUuid) {
    return RESULTS + uuid(jobUuid) + "/";
  }

  /** {@code jobs/<uuid>/upload<.ext>}, with the extension of the client's file name when it has a plain one. */
  public static String upload(String jobUuid, String fileName) {
    return jobPrefix(jobUuid) + UPLOAD_PREFIX + extension(fileName);
  }

  public static String source(String jobUuid, String fileName) {
    return jobPrefix(jobUuid) + "source" + extension(fileName);
  }

  public static String pcm(String jobUuid) {
    return jobPrefix(jobUuid) + PCM;
  }

  public static String result(String jobUuid, String file) {
    return check(resultsPrefix(jobUuid) + file);
  }

  /** True for a job's uploaded input, which is kept while a failed or cancelled job may be retried. */
  public static boolean isUpload(String key) {
    String name = key.substring(key.lastIndexOf('/') + 1);
    return name.equals(UPLOAD_PREFIX) || name.startsWith(UPLOAD_PREFIX + ".");
  }

  /** The job uuid of a {@code jobs/<uuid>/...} key, or null for any other key. */
  public static String jobOf(String key) {
    if (!key.startsWith(JOBS)) {
      return null;
    }
    int end = key.indexOf('/', JOBS.length());
    return end < 0 ? null : key.substring(JOBS.length(), end);
  }

  /** The prefix of {@code owner}'s presigned uploads: {@code uploads/<first 22 base64url chars of SHA-256(owner)>/}. */
  public static String ownerPrefix(String owner) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(owner.getBytes(StandardCharsets.UTF_8));
      return UPLOADS + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 22) + "/";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new presigned-upload key of {@code owner}, whose URL expires at {@code expiresEpochSecond}. */
  public static String newStagedUpload(String owner, long expiresEpochSecond, String fileName) {
    String id = UUID.randomUUID().toString().replace("-", "");
    return ownerPrefix(owner) + expiresEpochSecond + "-" + id + extension(fileName);
  }

  /** A presigned-upload key as issued ({@link #newStagedUpload}), taken apart; null for any other key. */
  public record Staged(String ownerPrefix, long expiresEpochSecond, String extension) {}

  public static Staged parseStaged(String key) {
    var m = STAGED.matcher(key);
    if (!m.matches()) {
      return null;
    }
    return new Staged(UPLOADS + m.group(1) + "/", Long.parseLong(m.group(2)), m.group(4) == null ? "" : m.group(4));
  }

  /** {@code .ext} of a file name, lower case, when it is 1 to 5 letters or digits; otherwise empty. */
  public static String extension(String name) {
    if (name == null) {
      return "";
    }
    int dot = name.lastIndexOf('.');
    String ext = dot < 0 ? "" : name.substring(dot).toLowerCase(Locale.ROOT);
    return EXT.matcher(ext).matches() ? ext : "";
  }

  private static String uuid(String jobUuid) {
    if (jobUuid == null || !UUID_LIKE.matcher(jobUuid).matches()) {
      throw new IllegalArgumentException("not a job uuid: " + jobUuid);
    }
    return jobUuid;
  }
}
