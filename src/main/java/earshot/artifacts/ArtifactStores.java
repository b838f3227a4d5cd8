package earshot.artifacts;

import earshot.config.EarshotConfig;
import java.time.Clock;

/** The one switch between the artifact stores, from {@code artifacts.store} ({@code EARSHOT_ARTIFACT_STORE}). */
public final class ArtifactStores {
  private ArtifactStores() {}

  public static ArtifactStore open(EarshotConfig config, Clock clock) {
    EarshotConfig.Artifacts a = config.artifacts();
    return switch (a.store()) {
      case DIR -> new DirArtifactStore(a.dir() != null ? a.dir() : config.dataDir(),
          new UploadSigner(a.uploadSecret(), clock), clock);
      case S3 -> new S3ArtifactStore(a.s3());
    };
  }
}
