package ownergraph.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * Starts a Neo4j Community DBMS with Bolt on a free 127.0.0.1 port and password
 * authentication, then prints one line
 * {@code NEO4J_READY uri=bolt://127.0.0.1:PORT user=neo4j password=PASSWORD}.
 *
 * <p>It stops (cleanly: checkpoint, close the store) when standard input reaches its end,
 * when the process that started it is gone, or on SIGTERM/SIGINT, so a test run that is
 * killed leaves no JVM behind. Usage: {@code Neo4jLauncher HOME_DIR [key=value setting]...};
 * the password comes from NEO4J_LAUNCHER_PASSWORD or is generated.
 */
public final class Neo4jLauncher {
    private static final String USER = "neo4j";

    private Neo4jLauncher() {}

    /** Server settings for a small, private test server; more may be given as arguments. */
    static Map<String, String> settings(String[] args) {
        Map<String, String> conf = new HashMap<>();
        conf.put("server.bolt.enabled", "true");
        conf.put("server.bolt.listen_address", "127.0.0.1:0");
        conf.put("server.bolt.tls_level", "DISABLED");
        conf.put("dbms.security.auth_enabled", "true");
        conf.put("dbms.usage_report.enabled", "false");
        conf.put("server.memory.pagecache.size", "256m");
        // A single transaction may not hold more than this; what production should set too.
        conf.put("db.memory.transaction.max", "256m");
        // A test server needs no transaction log history: small files, pruned at each
        // checkpoint, a checkpoint per 32 MB written (the whole suite stays under ~100 MB).
        conf.put("db.tx_log.rotation.size", "16m");
        conf.put("db.tx_log.rotation.retention_policy", "1 files");
        conf.put("db.checkpoint.interval.volume", "32m");
        // Bolt waits 5 s for idle connections and 5 s for its threads when it stops; a test
        // server has none worth waiting for.
        conf.put("internal.server.bolt.connection_shutdown_wait_time", "0s");
        conf.put("internal.server.bolt.thread_pool_shutdown_wait_time", "0s");
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("setting must be key=value: " + args[i]);
            }
            conf.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        return conf;
    }

    /** The settings as a neo4j.conf under HOME_DIR/conf: the same names a server uses. */
    static Path writeConf(Path home, Map<String, String> settings) throws IOException {
        Path conf = home.resolve("conf").resolve("neo4j.conf");
        Files.createDirectories(conf.getParent());
        StringBuilder text = new StringBuilder();
        new TreeMap<>(settings).forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(conf, text);
        return conf;
    }

    static String password() {
        String given = System.getenv("NEO4J_LAUNCHER_PASSWORD");
        if (given != null && !given.isEmpty()) {
            return given;
        }
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: Neo4jLauncher HOME_DIR [key=value]...");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path conf = writeConf(home, settings(args));
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .loadPropertiesFromFile(conf)
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }, "neo4j-launcher-shutdown"));

        String password = password();
        dbms.database("system").executeTransactionally(
                "ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));

        GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database("neo4j");
        HostnamePort bolt = db.getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT);
        awaitAccepting(bolt);
        System.out.println("NEO4J_READY uri=bolt://" + bolt.getHost() + ":" + bolt.getPort()
                + " user=" + USER + " password=" + password);
        System.out.flush();

        watchParent();
        watchStdin();
        stopped.await();
    }

    private static void awaitAccepting(HostnamePort bolt) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(bolt.getHost(), bolt.getPort()), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Bolt does not accept connections on " + bolt, e);
                }
                Thread.sleep(100);
            }
        }
    }

    /** End of standard input (the starter closed it or died) stops the server. */
    private static void watchStdin() {
        Thread t = new Thread(() -> {
            InputStream in = System.in;
            byte[] buf = new byte[256];
            try {
                while (in.read(buf) >= 0) {
                    // Input is ignored; only its end matters.
                }
            } catch (IOException ignored) {
                // A broken pipe is an end too.
            }
            System.exit(0);
        }, "neo4j-launcher-stdin");
        t.setDaemon(true);
        t.start();
    }

    /** The starter's death stops the server even if it left standard input open elsewhere. */
    private static void watchParent() {
        ProcessHandle.current().parent().ifPresent(parent -> {
            Thread t = new Thread(() -> {
                parent.onExit().join();
                System.exit(0);
            }, "neo4j-launcher-parent");
            t.setDaemon(true);
            t.start();
        });
    }
}
