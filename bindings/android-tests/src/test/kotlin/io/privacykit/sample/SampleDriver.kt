package io.privacykit.sample

import android.app.Activity
import android.app.AlertDialog
import android.content.Intent
import android.os.Looper
import android.view.View
import android.widget.EditText
import android.widget.Switch
import android.widget.TextView
import io.privacykit.PrivacyKit
import org.robolectric.Robolectric
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.android.controller.ActivityController
import org.robolectric.shadows.ShadowAlertDialog
import kotlin.test.assertNotNull
import kotlin.test.assertNull

/**
 * Drives the sample as QA would on a device: launch, tap, type, answer dialogs, relaunch.
 * Views are found by the tags the screens give them.
 */
class SampleDriver {
    val app: TestSampleApplication = RuntimeEnvironment.getApplication() as TestSampleApplication
    private val controllers = mutableListOf<ActivityController<out Activity>>()

    val kit: PrivacyKit get() = app.privacy.kit

    fun <A : Activity> launch(type: Class<A>, intent: Intent = Intent(app, type)): A {
        val controller = Robolectric.buildActivity(type, intent).setup()
        controllers += controller
        idle()
        return controller.get()
    }

    fun launchMain(intent: Intent = Intent(app, MainActivity::class.java)): MainActivity = launch(MainActivity::class.java, intent)

    /** The user leaves the app and the system ends its process: the next launch starts afresh from the file. */
    fun killProcess() {
        controllers.reversed().forEach { it.pause().stop().destroy() }
        controllers.clear()
        idle()
        app.closePrivacy()
    }

    /** Back to [activity] from another screen: onPause/onResume, as when the user returns. */
    fun resume(activity: Activity) {
        controllers.first { it.get() === activity }.pause().resume()
        idle()
    }

    fun idle() = shadowOf(Looper.getMainLooper()).idle()

    fun tap(activity: Activity, tag: String) {
        view<View>(activity, tag).performClick()
        idle()
    }

    fun type(activity: Activity, tag: String, text: String) = view<EditText>(activity, tag).setText(text)

    fun text(activity: Activity, tag: String): String = view<TextView>(activity, tag).text.toString()

    fun switchOn(activity: Activity, tag: String): Boolean = view<Switch>(activity, tag).isChecked

    fun <V : View> view(activity: Activity, tag: String): V =
        assertNotNull(find(activity, tag), "no view tagged $tag on ${activity.javaClass.simpleName}")

    fun <V : View> find(activity: Activity, tag: String): V? =
        activity.window.decorView.findViewWithTag<V>(tag)

    fun assertAbsent(activity: Activity, tag: String) = assertNull(find<View>(activity, tag), "$tag is shown")

    /**
     * The user answers the system permission prompt [activity] showed last, delivered the way
     * Android delivers it (an activity result the framework turns into onRequestPermissionsResult).
     */
    fun answerPermissionPrompt(activity: Activity, vararg results: Int) {
        val request = assertNotNull(shadowOf(activity).lastRequestedPermission, "no permission was requested")
        val data = Intent()
            .putExtra("android.content.pm.extra.REQUEST_PERMISSIONS_NAMES", request.requestedPermissions)
            .putExtra("android.content.pm.extra.REQUEST_PERMISSIONS_RESULTS", results)
        shadowOf(activity).internalCallDispatchActivityResult("@android:requestPermissions:", request.requestCode, Activity.RESULT_OK, data)
        idle()
    }

    /** The dialog on screen, its message, and a tap on one of its buttons. */
    fun dialog(): AlertDialog = assertNotNull(ShadowAlertDialog.getLatestAlertDialog(), "no dialog is shown")

    fun dialogMessage(): String = shadowOf(dialog()).message.toString()

    fun answerDialog(button: Int) {
        val dialog = dialog()
        dialog.getButton(button).performClick()
        idle()
        ShadowAlertDialog.reset()
    }

    /** Closes PrivacyKit at the end of a test, as the process's end would. */
    fun close() {
        controllers.reversed().forEach { runCatching { it.pause().stop().destroy() } }
        controllers.clear()
        app.closePrivacy()
    }
}
