//! Importing staff (and, through the same flow, devices) from CSV files as
//! Excel and HR systems save them.

use crate::helpers::{location, TestApp};
use crate::storage_test;

async fn upload(app: &TestApp, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("text/csv")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    app.client
        .post(app.url("/staff/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

storage_test!(
    a_good_file_is_previewed_then_imported,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let csv = "Name,Email,Job role,Department,Start date,Employment type\n\
               Amelia Hughes,amelia.hughes@nhs.net,Receptionist,Reception & care navigation,11/01/2021,Permanent\n\
               Dr Oliver Grant,oliver.grant@nhs.net,Locum GP,clinical,01/09/2026,Locum\n";
        let r = upload(&app, "staff.csv", csv.as_bytes().to_vec()).await;
        assert_eq!(r.status(), 303);
        let preview_path = location(&r);
        let preview = app.get_text(&preview_path).await;
        assert!(preview.contains("<strong>2</strong> rows are ready to import"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM staff WHERE practice_id = $1", p.id)
                .await,
            1,
            "nothing added before confirming"
        );
        let r = app.post(&preview_path, &[("action", "all")]).await;
        assert_eq!(location(&r), "/staff?done=imported-2");
        let list = app.get_text("/staff?done=imported-2").await;
        assert!(
            list.contains("2 staff imported")
                && list.contains("Amelia Hughes")
                && list.contains("Dr Oliver Grant")
        );
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"staff.imported".to_string()));
        // The same preview cannot be imported twice: going back to it (the
        // browser's Back button, a second click) shows what it did, with the menu.
        let again = app.post(&preview_path, &[("action", "all")]).await;
        assert_eq!(location(&again), preview_path);
        let back = app.get(&preview_path).await;
        assert_eq!(back.status(), 200);
        let back = back.text().await.unwrap();
        assert!(
            back.contains("staff.csv has been imported")
                && back.contains("<strong>2</strong> rows were added"),
            "{back}"
        );
        assert!(back.contains("aria-label=\"Menu\""), "the site's menu");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM staff WHERE practice_id = $1", p.id)
                .await,
            3,
            "nothing added twice"
        );
    }
);

storage_test!(
    a_file_with_bad_rows_imports_nothing_unless_the_manager_chooses_the_good_rows,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.staff(&p, "Existing Person", "Clinical", None).await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let existing = format!("existing.person@{}", p.domain);
        let csv = format!(
            "Name,Email,Job role,Department\n\
         Good One,good.one@nhs.net,Receptionist,Clinical\n\
         Bad Email,not-an-email,Receptionist,Clinical\n\
         Wrong Dept,wrong.dept@nhs.net,Receptionist,Recepton\n\
         Good One Again,good.one@nhs.net,Receptionist,Clinical\n\
         ,no.name@nhs.net,Receptionist,Clinical\n\
         Already Here,{existing},Nurse,Clinical\n\
         Good Two,good.two@nhs.net,Dispenser,Dispensary\n"
        );
        let r = upload(&app, "mixed.csv", csv.into_bytes()).await;
        let preview_path = location(&r);
        let preview = app.get_text(&preview_path).await;
        assert!(preview.contains("<strong>2</strong> rows are ready to import and <strong>5</strong> rows have problems"), "{preview}");
        assert!(
            preview.contains("Enter an email address in the correct format"),
            "bad email explained"
        );
        assert!(
            preview.contains("\"Recepton\" is not one of this practice's departments"),
            "unknown department explained"
        );
        assert!(
            preview.contains("This email address is also on line 2"),
            "duplicate explained with its line"
        );
        assert!(
            preview.contains("Enter the person"),
            "missing name explained"
        );
        assert!(preview.contains("is already on the staff list"));
        // "Import all" is refused while rows have problems, and nothing is added.
        let page = app
            .post(&preview_path, &[("action", "all")])
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("nothing has been imported"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM staff WHERE practice_id = $1", p.id)
                .await,
            2
        );
        let r = app.post(&preview_path, &[("action", "good")]).await;
        assert_eq!(location(&r), "/staff?done=imported-2");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM staff WHERE practice_id = $1", p.id)
                .await,
            4
        );
    }
);

storage_test!(
    files_saved_by_excel_import_correctly_whatever_the_encoding,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        // "CSV UTF-8" from Excel: a byte-order mark first.
        let mut utf8 = vec![0xEF, 0xBB, 0xBF];
        utf8.extend(
            "Name,Email,Job role,Department\r\nZoë Adébayo,zoe@nhs.net,Nurse,Clinical\r\n"
                .as_bytes(),
        );
        let r = upload(&app, "utf8.csv", utf8).await;
        app.post(&location(&r), &[("action", "all")]).await;
        // Plain "CSV" from Excel on UK Windows: Windows-1252, with a curly apostrophe (0x92) and â (0xE2).
        let mut cp1252 = b"Name,Email,Job role,Department\r\nSi".to_vec();
        cp1252.push(0xE2);
        cp1252.extend(b"n O");
        cp1252.push(0x92);
        cp1252.extend(b"Brien,sian@nhs.net,Receptionist,Clinical\r\n");
        let r = upload(&app, "ansi.csv", cp1252).await;
        let preview = app.get_text(&location(&r)).await;
        assert!(
            preview.contains("Siân O’Brien"),
            "decoded from Windows-1252"
        );
        app.post(&location(&r), &[("action", "all")]).await;
        let list = app.get_text("/staff").await;
        assert!(list.contains("Zoë Adébayo") && list.contains("Siân O’Brien"));
    }
);

storage_test!(
    a_five_megabyte_file_is_handled_and_a_larger_one_refused_clearly,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let mut csv = String::from("Name,Email,Job role,Department,Notes\n");
        let mut i = 0;
        // Just under 5 MB of rows, each padded with an ignored notes column.
        while csv.len() < 5 * 1024 * 1024 - 200 {
            csv.push_str(&format!(
                "Person {i},person{i}@nhs.net,Receptionist,Clinical,{}\n",
                "x".repeat(60)
            ));
            i += 1;
        }
        let r = upload(&app, "big.csv", csv.clone().into_bytes()).await;
        assert_eq!(r.status(), 303, "a 5 MB file is accepted");
        let preview = app.get_text(&location(&r)).await;
        assert!(
            preview.contains(&format!("<strong>{i}</strong> rows are ready")),
            "all {i} rows checked"
        );
        let r = app.post(&location(&r), &[("action", "all")]).await;
        assert_eq!(location(&r), format!("/staff?done=imported-{i}"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM staff WHERE practice_id = $1", p.id)
                .await,
            i + 1
        );

        let mut bigger = csv.into_bytes();
        bigger.extend(vec![b'x'; 1024 * 1024]);
        let r = upload(&app, "too-big.csv", bigger).await;
        assert_eq!(r.status(), 413);
        assert!(r.text().await.unwrap().contains("larger than 5 MB"));
    }
);

storage_test!(
    a_file_that_is_not_a_staff_list_gets_a_message_saying_what_to_fix,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let r = upload(&app, "wrong.csv", b"Patient,NHS number\nA,123\n".to_vec()).await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("The file has no column for"), "{page}");
        assert!(page.contains("Name,Email,Job role,Department"));
        let r = upload(&app, "empty.csv", Vec::new()).await;
        assert!(r.text().await.unwrap().contains("Choose a CSV file"));
    }
);

storage_test!(
    a_preview_confirmed_twice_at_once_is_imported_once,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        // Devices with no serial number or computer name: nothing in the rows
        // themselves stops them being added twice.
        let csv = "Name,Type\nReception PC,Desktop\nNurse laptop,Laptop\n";
        let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
            .file_name("devices.csv")
            .mime_str("text/csv")
            .unwrap();
        let r = app
            .client
            .post(app.url("/resilience/assets/import"))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        let preview_path = location(&r);
        // A double-click, or two tabs: both choices arrive together.
        let (first, second) = tokio::join!(
            app.post(&preview_path, &[("action", "all")]),
            app.post(&preview_path, &[("action", "all")])
        );
        let mut went = [location(&first), location(&second)];
        went.sort();
        assert_eq!(
            went,
            [
                preview_path.clone(),
                "/resilience/assets?done=imported-2".to_string()
            ],
            "one imports, the other is shown the finished import"
        );
        let done = app.get_text(&preview_path).await;
        assert!(done.contains("devices.csv has been imported"), "{done}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM assets WHERE practice_id = $1", p.id)
                .await,
            2
        );
        let imported = app
            .audit_actions(p.id)
            .await
            .into_iter()
            .filter(|a| a == "resilience.assets_imported")
            .count();
        assert_eq!(imported, 1);
    }
);
