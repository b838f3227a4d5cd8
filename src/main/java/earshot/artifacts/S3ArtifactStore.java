package earshot.artifacts;

import earshot.config.EarshotConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PutObjectPresignRequest;

/**
 * The artifact store in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, S3Proxy), for clusters without a shared
 * disk, through the AWS SDK for Java v2: the blocking {@link S3Client} on the JDK's URL-connection HTTP client, and
 * the SDK's {@link S3Presigner} for presigned uploads. Checksums are sent and validated only where an operation
 * requires them, which every S3-compatible server accepts. A fetch downloads into the caller's scratch directory.
 * Any SDK failure other than a missing key is an {@link ArtifactUnavailableException} (retryable).
 *
 * <p>Threading: every call blocks on the network; the client is thread-safe. Call from a worker.
 */
public final class S3ArtifactStore implements ArtifactStore {
  private final S3Client client;
  private final S3Presigner presigner;
  private final String bucket;
  private final String where;

  public S3ArtifactStore(EarshotConfig.S3 s3) {
    var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey()));
    Region region = Region.of(s3.region());
    var builder = S3Client.builder()
        .region(region)
        .credentialsProvider(credentials)
        .forcePathStyle(s3.pathStyle())
        .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED)
        .httpClientBuilder(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(5))
            .socketTimeout(Duration.ofSeconds(60)));
    var presign = S3Presigner.builder()
        .region(region)
        .credentialsProvider(credentials)
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(s3.pathStyle()).build());
    if (s3.endpoint() != null) {
      builder.endpointOverride(URI.create(s3.endpoint()));
      presign.endpointOverride(URI.create(s3.endpoint()));
    }
    this.client = builder.build();
    this.presigner = presign.build();
    this.bucket = s3.bucket();
    this.where = "s3 bucket " + s3.bucket() + (s3.endpoint() == null ? "" : " at " + s3.endpoint());
  }

  @Override
  public String kind() {
    return "s3";
  }

  @Override
  public void put(String key, Path file) {
    call("put " + key, () -> client.putObject(PutObjectRequest.builder().bucket(bucket).key(ArtifactKeys.check(key))
        .build(), RequestBody.fromFile(file)));
  }

  @Override
  public void putMoving(String key, Path file) throws IOException {
    put(key, file);
    Files.deleteIfExists(file);
  }

  @Override
  public Local fetch(String key, Path scratchDir) throws IOException {
    ArtifactKeys.check(key);
    Files.createDirectories(scratchDir);
    String name = key.substring(key.lastIndexOf('/') + 1);
    Path target = scratchDir.resolve(UUID.randomUUID() + "-" + name);
    try {
      client.getObject(GetObjectRequest.builder().bucket(bucket).key(key).build(), ResponseTransformer.toFile(target));
      return new Local(target, true);
    } catch (S3Exception e) {
      Files.deleteIfExists(target);
      if (e.statusCode() == 404 && !isNoSuchBucket(e)) {
        throw new NoSuchFileException(key);
      }
      throw unavailable("fetch " + key, e);
    } catch (SdkException e) {
      Files.deleteIfExists(target);
      throw unavailable("fetch " + key, e);
    }
  }

  @Override
  public boolean move(String from, String to) {
    ArtifactKeys.check(to);
    if (size(from).isEmpty()) {
      return false;
    }
    call("copy " + from, () -> client.copyObject(CopyObjectRequest.builder().sourceBucket(bucket)
        .sourceKey(from).destinationBucket(bucket).destinationKey(to).build()));
    delete(from);
    return true;
  }

  @Override
  public OptionalLong size(String key) {
    ArtifactKeys.check(key);
    try {
      return OptionalLong.of(client.headObject(HeadObjectRequest.builder().bucket(bucket).key(key).build())
          .contentLength());
    } catch (S3Exception e) {
      if (e.statusCode() == 404 && !isNoSuchBucket(e)) {
        return OptionalLong.empty();
      }
      throw unavailable("head " + key, e);
    } catch (SdkException e) {
      throw unavailable("head " + key, e);
    }
  }

  @Override
  public boolean delete(String key) {
    boolean existed = size(key).isPresent();
    if (existed) {
      call("delete " + key, () -> client.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).build()));
    }
    return existed;
  }

  @Override
  public int deletePrefix(String prefix) {
    int count = 0;
    // One by one: the batch DeleteObjects needs a Content-MD5 that not every S3-compatible server takes the same way.
    for (StoredObject o : list(prefix)) {
      call("delete " + o.key(), () -> client.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(o.key())
          .build()));
      count++;
    }
    return count;
  }

  @Override
  public List<StoredObject> list(String prefix) {
    ArtifactKeys.checkPrefix(prefix);
    return call("list " + prefix, () -> {
      List<StoredObject> out = new ArrayList<>();
      client.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())
          .contents().stream()
          // "Folder" markers (keys ending in '/', listed by some servers such as S3Proxy's filesystem backend) are
          // not objects of ours.
          .filter(o -> !o.key().endsWith("/"))
          .forEach(o -> out.add(new StoredObject(o.key(), o.size(), o.lastModified())));
      return out;
    });
  }

  @Override
  public PresignedPut presignPut(String key, Duration ttl) {
    var presigned = presigner.presignPutObject(PutObjectPresignRequest.builder().signatureDuration(ttl)
        .putObjectRequest(PutObjectRequest.builder().bucket(bucket).key(ArtifactKeys.check(key)).build()).build());
    try {
      return new PresignedPut(presigned.url().toURI(), presigned.expiration());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException("the presigner made a URL that is not a URI: " + e.getMessage(), e);
    }
  }

  @Override
  public void check() {
    call("reach", () -> client.headBucket(HeadBucketRequest.builder().bucket(bucket).build()));
  }

  @Override
  public void close() {
    presigner.close();
    client.close();
  }

  private <T> T call(String what, Supplier<T> request) {
    try {
      return request.get();
    } catch (SdkException e) {
      throw unavailable(what, e);
    }
  }

  private ArtifactUnavailableException unavailable(String what, SdkException e) {
    String detail = e instanceof S3Exception s3 && s3.awsErrorDetails() != null
        ? s3.statusCode() + " " + s3.awsErrorDetails().errorCode() : e.getMessage();
    return new ArtifactUnavailableException("could not " + what + " in the " + where + ": " + detail, e);
  }

  private static boolean isNoSuchBucket(S3Exception e) {
    return e.awsErrorDetails() != null && "NoSuchBucket".equals(e.awsErrorDetails().errorCode());
  }
}
