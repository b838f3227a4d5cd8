package earshot.deploy;

import java.util.Set;

/**
 * Names the deployment files use that other branches provide, so that the checks here are already right once those
 * branches merge. <b>The lead empties these lists after merging</b> the cluster (#14) and live streaming (#15) work;
 * a name still listed then that the merged code does not provide fails {@link ComposeTest} or
 * {@link MetricsExportTest} with a message that says so.
 */
final class PendingNames {
  private PendingNames() {}

  /** Environment variables of the cluster and the artifact store (#14), not yet read by {@code ConfigLoader}. */
  static final Set<String> SETTINGS = Set.of(
      "EARSHOT_CLUSTER", "EARSHOT_CLUSTER_MEMBERS", "EARSHOT_CLUSTER_HOST", "EARSHOT_CLUSTER_PORT",
      "EARSHOT_CLUSTER_PUBLIC_HOST", "EARSHOT_EVENTBUS_HOST", "EARSHOT_EVENTBUS_PORT", "EARSHOT_EVENTBUS_PUBLIC_HOST",
      "EARSHOT_ARTIFACT_STORE", "EARSHOT_S3_ENDPOINT", "EARSHOT_S3_BUCKET", "EARSHOT_S3_REGION",
      "EARSHOT_S3_ACCESS_KEY", "EARSHOT_S3_SECRET_KEY", "EARSHOT_S3_PATH_STYLE");

  /** Live-stream metrics (#15) the dashboard shows, not yet exported by a node. */
  static final Set<String> METRICS = Set.of(
      "stream_first_partial_seconds_bucket", "stream_final_latency_seconds_bucket", "stream_audio_seconds_total",
      "stream_closed_total", "job_event_subscribers");
}
