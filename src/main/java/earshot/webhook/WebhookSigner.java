package earshot.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs webhook bodies: {@code sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">} with the configured secret, so a
 * receiver can check both who sent a delivery and that its timestamp was not replaced. Immutable; a new {@link Mac}
 * per signature, so any thread may use it.
 */
public final class WebhookSigner {
  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  public WebhookSigner(String secret) {
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
  }

  /** The {@code X-Earshot-Signature} header value for {@code body} sent at {@code timestamp} (unix seconds). */
  public String sign(String timestamp, String body) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      byte[] digest = mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
      return "sha256=" + HexFormat.of().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available in this JVM", e);
    }
  }
}
