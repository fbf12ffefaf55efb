// OWL 2 RL profile check with the OWLAPI (Debian: libowlapi-java). Used by tests/test_owl_profile.py.
// Usage: java -cp '/usr/share/java/*' OwlProfileCheck.java ONTOLOGY.ttl
// Prints one violation per line and "violations: N"; exit status 0 when the ontology is in the profile.
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.profiles.OWL2RLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class OwlProfileCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT); // never fetch imports
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(new File(args[0])), config);
        OWLProfileReport report = new OWL2RLProfile().checkOntology(ontology);
        for (OWLProfileViolation v : report.getViolations()) {
            System.out.println(v.toString().replace('\n', ' '));
        }
        System.out.println("violations: " + report.getViolations().size());
        System.exit(report.isInProfile() ? 0 : 1);
    }
}
