package earshot.testsupport;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 server for the tests: S3Proxy over jclouds' {@code filesystem} provider under a directory of the test's,
 * on 127.0.0.1 and a port of its own choosing, checking AWS signatures (V2 or V4, presigned URLs too) with a fixed
 * access and secret key, and a bucket made at start.
 */
public final class S3Server implements AutoCloseable {
  public static final String ACCESS_KEY = "earshot-access";
  public static final String SECRET_KEY = "earshot-secret-key-for-tests";
  public static final String BUCKET = "earshot-test";

  private final S3Proxy proxy;
  private final BlobStoreContext context;

  private S3Server(S3Proxy proxy, BlobStoreContext context) {
    this.proxy = proxy;
    this.context = context;
  }

  public static S3Server start(Path dir) {
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().toString());
    BlobStoreContext context = ContextBuilder.newBuilder("filesystem")
        .credentials("identity", "credential")
        .overrides(props)
        .build(BlobStoreContext.class);
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(context.getBlobStore())
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .build();
    try {
      proxy.start();
    } catch (Exception e) {
      context.close();
      throw new IllegalStateException("S3Proxy did not start: " + e, e);
    }
    Await.until("S3Proxy started", Deadlines.WAIT, () -> AbstractLifeCycle.STARTED.equals(proxy.getState()));
    context.getBlobStore().createContainerInLocation(null, BUCKET);
    return new S3Server(proxy, context);
  }

  public int port() {
    return proxy.getPort();
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port();
  }

  /** The config overrides that point a node's artifact store at this server. */
  public JsonObject overrides() {
    return new JsonObject().put("artifacts", new JsonObject().put("store", "s3").put("s3", new JsonObject()
        .put("endpoint", endpoint()).put("bucket", BUCKET).put("region", "us-east-1")
        .put("access_key", ACCESS_KEY).put("secret_key", SECRET_KEY).put("path_style", true)));
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("S3Proxy did not stop: " + e, e);
    } finally {
      context.close();
    }
  }
}
