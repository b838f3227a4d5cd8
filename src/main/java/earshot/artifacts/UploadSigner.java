package earshot.artifacts;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Presigned uploads for the directory store, which has no presigner of its own: an HMAC-SHA256 over
 * {@code PUT\n<key>\n<expires>} makes {@code /api/v1/audio/uploads/<key>?expires=<epoch s>&signature=<hex>}, a URL
 * on the API itself that streams the body into the store. Every API node that may receive the PUT must share the
 * secret ({@code artifacts.upload_secret}); without one each process draws its own at start-up, which serves a
 * single API node.
 *
 * <p>Threading: immutable; a {@link Mac} is made per call.
 */
public final class UploadSigner {
  /** The API route a directory-store upload URL points at; the object key follows it. */
  public static final String ROUTE = "/api/v1/audio/uploads/";

  private final byte[] secret;
  private final Clock clock;

  public UploadSigner(String secret, Clock clock) {
    if (secret == null || secret.isBlank()) {
      this.secret = new byte[32];
      new SecureRandom().nextBytes(this.secret);
    } else {
      this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }
    this.clock = clock;
  }

  /** The relative URL of a signed PUT of {@code key}, valid until {@code expires}. */
  public URI sign(String key, Instant expires) {
    long at = expires.getEpochSecond();
    return URI.create(ROUTE + ArtifactKeys.check(key) + "?expires=" + at + "&signature="
        + URLEncoder.encode(signature(key, at), StandardCharsets.UTF_8));
  }

  /** Why a signed PUT is refused. */
  public enum Verdict { VALID, BAD_SIGNATURE, EXPIRED }

  /** Checks a PUT's key, expiry and signature, in constant time for the signature. */
  public Verdict verify(String key, String expires, String signature) {
    long at;
    try {
      at = Long.parseLong(expires);
    } catch (NumberFormatException | NullPointerException e) {
      return Verdict.BAD_SIGNATURE;
    }
    byte[] expected = signature(key, at).getBytes(StandardCharsets.US_ASCII);
    byte[] given = signature == null ? new byte[0] : signature.getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given)) {
      return Verdict.BAD_SIGNATURE;
    }
    return clock.instant().getEpochSecond() > at ? Verdict.EXPIRED : Verdict.VALID;
  }

  private String signature(String key, long expires) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(("PUT\n" + key + "\n" + expires).getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
