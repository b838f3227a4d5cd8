package earshot.transcribe;

import earshot.transcribe.WhisperEngine.DecodeOptions;
import earshot.transcribe.WhisperEngine.RawSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Transcribes a PCM file window by window: {@link EnergyCutter} picks each cut near the configured window length,
 * only that window is read into memory, its segment times are shifted by the window's offset so they stay absolute,
 * and progress is published after each window. The cancel flag is checked before every window; whisper.cpp itself
 * cannot be interrupted, so a window that started always finishes.
 *
 * <p>Threading: runs entirely on the calling worker thread; callbacks are invoked on it too.
 */
public final class WindowedTranscriber {

  /** What a run produced; {@code aborted} when the cancel flag stopped it before the end. */
  public record Result(List<Transcript.Segment> segments, String language, double durationSeconds, int windows,
                       boolean aborted) {
    public String text() {
      StringBuilder sb = new StringBuilder();
      segments.forEach(s -> sb.append(sb.isEmpty() ? "" : " ").append(s.text()));
      return sb.toString();
    }
  }

  private final EnergyCutter cutter;

  public WindowedTranscriber(EnergyCutter cutter) {
    this.cutter = cutter;
  }

  public Result run(WhisperEngine.Session session, PcmFile pcm, DecodeOptions options, IntConsumer progress,
                    BooleanSupplier cancelled) {
    List<Transcript.Segment> segments = new ArrayList<>();
    long total = pcm.samples();
    DecodeOptions current = options;
    String language = null;
    long start = 0;
    int windows = 0;
    while (start < total) {
      if (cancelled.getAsBoolean()) {
        return new Result(segments, language, pcm.durationSeconds(), windows, true);
      }
      long end = cutter.nextCut(pcm, start);
      float[] samples = pcm.read(start, Math.toIntExact(end - start));
      WhisperEngine.Result window = session.transcribe(samples, current);
      if (language == null && window.language() != null) {
        language = window.language();
        // Detect once: later windows decode in the language the first one found, which keeps the text consistent.
        current = new DecodeOptions(language, options.translate(), options.initialPrompt(), options.temperature(),
            options.beamSize(), options.threads());
      }
      long offsetMs = start * 1000 / PcmFile.SAMPLE_RATE;
      for (RawSegment s : window.segments()) {
        double from = (offsetMs + s.startMs()) / 1000.0;
        double to = (offsetMs + s.endMs()) / 1000.0;
        double prevEnd = segments.isEmpty() ? 0 : segments.getLast().end();
        from = Math.max(from, prevEnd);
        segments.add(new Transcript.Segment(segments.size(), from, Math.max(from, to), s.text().strip()));
      }
      windows++;
      start = end;
      progress.accept((int) (start * 100 / total));
    }
    return new Result(segments, language, pcm.durationSeconds(), windows, false);
  }
}
