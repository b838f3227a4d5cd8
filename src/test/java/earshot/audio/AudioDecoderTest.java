package earshot.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.jobs.PermanentStageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** AudioDecoder against real files of every supported format, encoded at test time by jave's bundled ffmpeg. */
class AudioDecoderTest {
  private static final double SECONDS = 6.0;
  /** Encoder delay/padding and container rounding, in seconds. */
  private static final double TOLERANCE = 0.1;

  @TempDir
  static Path dir;
  static Path wav;
  private final AudioDecoder decoder = new AudioDecoder();

  @BeforeAll
  static void source() throws IOException {
    // 44.1 kHz stereo, so every decode also resamples and downmixes
    wav = TestAudio.writeWav(dir.resolve("source.wav"), SECONDS, 44_100, 2);
  }

  @ParameterizedTest
  @EnumSource(TestAudio.Format.class)
  void decodesEachFormatToSixteenKilohertzMono(TestAudio.Format format) throws IOException {
    Path input = TestAudio.encode(wav, format, dir, "clip-" + format.name());
    Path pcm = dir.resolve(format.name() + ".pcm");

    AudioDecoder.Decoded decoded = decoder.decode(input, pcm);

    assertEquals(pcm, decoded.pcm());
    assertEquals(decoded.samples() * 2, Files.size(pcm), "PCM size is 2 bytes per mono sample");
    assertEquals(SECONDS, decoded.durationSeconds(), TOLERANCE, format + " duration");
    assertEquals(SECONDS * AudioDecoder.SAMPLE_RATE, decoded.samples(),
        TOLERANCE * AudioDecoder.SAMPLE_RATE, format + " samples");
    assertEquals(decoded.samples() / (double) AudioDecoder.SAMPLE_RATE, decoded.durationSeconds(), 1e-9);
    // The signal survives: tone, silence, noise, per pattern (edges skipped for codec delay)
    for (int start = 0; start < SECONDS; start += TestAudio.PATTERN_SECONDS) {
      double tone = TestAudio.rms(pcm, start + 0.2, start + 0.8);
      double silence = TestAudio.rms(pcm, start + 1.2, start + 1.8);
      double noise = TestAudio.rms(pcm, start + 2.2, start + 2.8);
      assertEquals(0.5 / Math.sqrt(2), tone, 0.06, format + " tone level at " + start + " s");
      assertTrue(silence < 0.02, format + " silence level " + silence + " at " + start + " s");
      assertTrue(noise > 0.08, format + " noise level " + noise + " at " + start + " s");
    }
  }

  @Test
  void videoYieldsOnlyItsAudioTrack() throws IOException {
    Path mp4 = TestAudio.encode(wav, TestAudio.Format.MP4_VIDEO, dir, "video-only-audio");
    Path pcm = dir.resolve("video.pcm");

    AudioDecoder.Decoded decoded = decoder.decode(mp4, pcm);

    // a picture decoded as audio would be orders of magnitude larger than the 16 kHz mono audio of 6 s
    assertEquals(SECONDS * AudioDecoder.SAMPLE_RATE * 2, Files.size(pcm), TOLERANCE * AudioDecoder.SAMPLE_RATE * 2);
    assertTrue(TestAudio.rms(pcm, 1.2, 1.8) < 0.02, "the silent second stays silent");
  }

  @Test
  void videoWithoutAudioIsRefused() throws IOException {
    Path mp4 = dir.resolve("silent-film.mp4");
    TestAudio.run(java.util.List.of(TestAudio.ffmpegPath(), "-nostdin", "-v", "error", "-f", "lavfi",
        "-i", "testsrc=size=64x48:rate=10:duration=2", "-c:v", "mpeg4", "-y", mp4.toString()));

    assertLoadFailure(mp4, "no audio stream");
  }

  @Test
  void randomBytesAreRefused() throws IOException {
    byte[] bytes = new byte[64 * 1024];
    new Random(7).nextBytes(bytes);
    Path file = Files.write(dir.resolve("random.bin"), bytes);

    assertLoadFailure(file, "");
  }

  @Test
  void emptyFileIsRefused() throws IOException {
    Path file = Files.createFile(dir.resolve("empty.mp3"));

    assertLoadFailure(file, "empty file");
  }

  @Test
  void textRenamedMp3IsRefused() throws IOException {
    Path file = Files.writeString(dir.resolve("notes.mp3"),
        "These are meeting notes, not audio.\n".repeat(200), StandardCharsets.UTF_8);

    assertLoadFailure(file, "");
  }

  @Test
  void truncatedFileIsRefusedOrShort() throws IOException {
    Path m4a = TestAudio.encode(wav, TestAudio.Format.M4A, dir, "truncated");
    byte[] bytes = Files.readAllBytes(m4a);
    // the moov atom (index) is at the end of a non-faststart m4a: cutting it off leaves no decodable audio
    Files.write(m4a, java.util.Arrays.copyOf(bytes, bytes.length / 2));

    assertLoadFailure(m4a, "");
  }

  @Test
  void decodeFarShorterThanTheDeclaredDurationIsRefused() throws IOException {
    // ffmpeg exits 0 here: the mp3's Xing header declares 6 s, the frames left hold about 1.5 s
    Path cut = TestAudio.encode(wav, TestAudio.Format.MP3, dir, "cut");
    byte[] bytes = Files.readAllBytes(cut);
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 4));

    assertLoadFailure(cut, "(truncated or corrupt)");
  }

  @Test
  void cancelKillsFfmpegAndThrows() throws IOException {
    Path mp3 = TestAudio.encode(wav, TestAudio.Format.MP3, dir, "cancelled");
    Cancellation cancel = new Cancellation();
    cancel.cancel(); // cancelled before ffmpeg starts: it must be killed as soon as it is registered

    assertThrows(DecodeCancelledException.class, () -> decoder.decode(mp3, dir.resolve("cancelled.pcm"), cancel));
  }

  @Test
  void interruptKillsFfmpegAndThrows() throws IOException {
    Path mp3 = TestAudio.encode(wav, TestAudio.Format.MP3, dir, "interrupted");
    Thread.currentThread().interrupt(); // a worker interrupted while decoding (shutdown, Future cancel)
    try {
      assertThrows(DecodeCancelledException.class, () -> decoder.decode(mp3, dir.resolve("interrupted.pcm")));
      assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept for the caller");
    } finally {
      Thread.interrupted();
    }
  }

  private void assertLoadFailure(Path input, String detail) {
    PermanentStageException e = assertThrows(PermanentStageException.class,
        () -> decoder.decode(input, dir.resolve(input.getFileName() + ".pcm")));
    assertTrue(e.getMessage().startsWith("Failed to load audio: "), e.getMessage());
    assertTrue(e.getMessage().contains(detail), e.getMessage());
  }
}
