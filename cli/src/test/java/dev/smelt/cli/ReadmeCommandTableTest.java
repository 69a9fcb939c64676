package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's command table renders as one table, before the Tour, and names every command. */
class ReadmeCommandTableTest {
    private static final Path README = Path.of("..", "README.md");

    @Test
    void everyCommandRowIsInOneTableBeforeTheTourAndEveryCommandHasARow() throws Exception {
        List<String> lines = Files.readAllLines(README);
        int tour = lines.indexOf("## Tour");
        assertThat(tour).as("## Tour heading").isPositive();
        int first = -1;
        int last = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("| `./smelt ")) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        assertThat(last).as("last command row (line %d) must come before ## Tour (line %d)", last + 1, tour + 1).isLessThan(tour);
        assertThat(lines.get(first - 1)).as("separator row above the first command row").startsWith("|---");
        List<String> firstColumns = new ArrayList<>();
        for (int i = first; i <= last; i++) {
            assertThat(lines.get(i)).as("line %d inside the command table", i + 1).startsWith("| ");
            firstColumns.add(lines.get(i).split(" \\| ", 2)[0]);
        }
        String cells = String.join("\n", firstColumns);
        // one name per command (aliases such as ls for list need no row of their own)
        for (String command : Main.commandLine().getSubcommands().values().stream().map(c -> c.getCommandName()).distinct().toList()) {
            if (command.equals("help")) {
                continue;
            }
            Pattern named = Pattern.compile("(\\./smelt |`)" + Pattern.quote(command) + "[ `]");
            assertThat(named.matcher(cells).find()).as("a README table row for '%s'", command).isTrue();
        }
    }
}
