package earshot.metrics;

/**
 * The upload meters: files the orphan sweep removed from the upload staging directory ({@code data/uploads}), which
 * no request was writing any more. Implementations are thread-safe.
 */
public interface UploadMetrics {
  /** The sweep removed {@code count} orphaned files. */
  void orphansRemoved(int count);
}
